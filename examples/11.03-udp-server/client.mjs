// Recipe 11.3's client in Node: send an empty datagram, print the time that comes back.
// The same command line as recipe_client.py next to it; run it against the recipe's
// server:
//
//   python3 examples/11.03-udp-server/recipe_server.py 0     (prints its port)
//   node examples/11.03-udp-server/client.mjs PORT
import { udpRequest } from '@net/udp-server';

const port = Number(process.argv[2] ?? 20000);

// s.sendto(b'', ('localhost', 20000)); s.recvfrom(8192), with a timeout and retries:
// a datagram can be lost, and only a reply from that address and port is taken.
const reply = await udpRequest({ host: '127.0.0.1', port }, new Uint8Array(), {
  timeout: 1_000,
  retries: 3,
});
console.log(new TextDecoder().decode(reply)); // e.g. Wed Aug 15 20:35:08 2012
