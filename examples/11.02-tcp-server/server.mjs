// Recipe 11.2, "Creating a TCP Server", in Node: the recipe's EchoHandler on
// @net/tcp-server. The same command line as recipe_server.py next to it:
//
//   node examples/11.02-tcp-server/server.mjs [PORT] [CONNECTIONS]
//
// It binds 127.0.0.1:PORT (0: a free port; default 20000, the recipe's), prints the bound
// port on its first line and, after CONNECTIONS connections (default: no limit), closes
// and exits. The recipe's client talks to it unchanged:
//
//   python3 examples/11.02-tcp-server/recipe_client.py PORT
import { createTcpServer } from '@net/tcp-server';

const port = Number(process.argv[2] ?? 20000);
const connections = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);
let served = 0;

// class EchoHandler(BaseRequestHandler): handle() serves one client, echoing until EOF.
const server = createTcpServer(async (conn) => {
  try {
    console.log('Got connection from', [conn.remoteAddress, conn.remotePort]);
    for await (const msg of conn) await conn.write(msg);
  } finally {
    if (++served === connections) server.close(); // finishes once this handler returns
  }
});

const address = await server.listen({ host: '127.0.0.1', port }); // TCPServer(('', 20000), ...)
console.log(address.port);
