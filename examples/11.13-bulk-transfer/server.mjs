// Recipe 11.13 ("Sending and Receiving Large Arrays") in Node: the recipe's sending side
// (recipe_server.py) with @net/bulk-transfer. sendBuffer is the recipe's send_from: the
// array's own memory goes to the socket, no copy. Like the recipe, it serves one
// connection, and sends raw doubles with no header: both sides agree on the count.
//
// Usage: node examples/11.13-bulk-transfer/server.mjs [PORT] [COUNT]
//   It binds 127.0.0.1:PORT (0: a free port; default 25000, the recipe's), prints the bound
//   port on its first line, sends COUNT doubles (default 50,000,000: 400 MB) to the first
//   client and exits.
// With the recipe's Python client (Debian's python3 has NumPy):
//   node examples/11.13-bulk-transfer/server.mjs 0 2000000
//   /usr/bin/python3 examples/11.13-bulk-transfer/recipe_client.py PORT 2000000
import { createServer } from 'node:net';
import { sendBuffer } from '@net/bulk-transfer';

const port = Number(process.argv[2] ?? 25000);
const a = new Float64Array(Number(process.argv[3] ?? 50_000_000));
for (let i = 0; i < a.length; i++) a[i] = i; // numpy.arange(0.0, count)

const server = createServer(async (c) => {
  server.close(); // one connection, as in the recipe
  c.on('error', (error) => console.error(error.code, error.message));
  const sent = await sendBuffer(c, a);
  console.log(`sent ${sent} bytes`);
  c.end();
});
server.listen(port, '127.0.0.1', () => console.log(server.address().port));
