// Recipe 11.9, "Authenticating Clients Simply", in Node: the recipe's authenticating echo
// server, with @net/hmac-auth's serverAuthenticate (the recipe's server_authenticate: 32
// random bytes out, their HMAC-SHA256 back, compared in constant time) on
// @net/tcp-server. The same command line as recipe_server.py next to it:
//
//   node examples/11.09-hmac-auth/server.mjs [PORT] [CONNECTIONS]
//
// It binds 127.0.0.1:PORT (0: a free port; default 18000, the recipe's), prints the bound
// port on its first line, prints a line for each client it refuses and, after CONNECTIONS
// connections (default: no limit), closes and exits. The recipe's client talks to it
// unchanged (a second argument gives it another key, which is refused):
//
//   python3 examples/11.09-hmac-auth/recipe_client.py PORT [KEY]
import { serverAuthenticate } from '@net/hmac-auth';
import { createTcpServer } from '@net/tcp-server';

const port = Number(process.argv[2] ?? 18000);
const connections = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);
const secretKey = Buffer.from('peekaboo');
let served = 0;

// def echo_handler(client_sock): authenticate, then echo until the client closes.
const server = createTcpServer(async (conn) => {
  try {
    const authenticated = await serverAuthenticate(conn, secretKey, {
      onFailure: (error) =>
        console.log('refused', [conn.remoteAddress, conn.remotePort], error.code),
    });
    if (!authenticated) return; // returning closes the connection
    for await (const msg of conn) await conn.write(msg);
  } finally {
    if (++served === connections) server.close(); // finishes once this handler returns
  }
});

const address = await server.listen({ host: '127.0.0.1', port });
console.log(address.port);
