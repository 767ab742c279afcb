// Recipe 11.1, "Interacting with HTTP Services As a Client", in Node with
// @net/http-client: the recipe's GET with query parameters, then its POST of the same
// parameters as a form with extra headers, each response printed. Mirrors recipe.py next
// to it; both default to http://httpbin.org, as the recipe does. Offline, against the
// httpbin stand-in in this folder:
//
//   python3 examples/11.01-http-client/httpbin_server.py     (prints its port)
//   node examples/11.01-http-client/client.mjs http://127.0.0.1:PORT
//   python3 examples/11.01-http-client/recipe.py http://127.0.0.1:PORT
import { get, post } from '@net/http-client';

const base = process.argv[2] ?? 'http://httpbin.org';

// Dictionary of query parameters (if any)
const parms = { name1: 'value1', name2: 'value2' };

// Make a GET request and read the response (urlopen raises on 4xx/5xx; so do we)
const resp = await get(`${base}/get`, { params: parms });
console.log(resp.raiseForStatus().text);

// Extra headers
const headers = { 'User-agent': 'none/ofyourbusiness', Spam: 'Eggs' };

// Make a POST request with the form and the headers, and read the response
const posted = await post(`${base}/post`, { form: parms, headers });
console.log(posted.raiseForStatus().text);
