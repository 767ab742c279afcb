// Recipe 11.10 ("Adding SSL to Network Services") in Node: the recipe's TLS echo server
// (recipe_server.py) with @net/tls, on the same command line: it prints the bound port
// first, then a line per connection. A client that refuses our certificate is reported
// with its code (ERR_TLS_SERVER_CERT_REJECTED) and the server goes on.
//
// Usage: node examples/11.10-tls/server.mjs PORT CERTFILE KEYFILE [CONNECTIONS]
//   It binds 127.0.0.1:PORT (0: a free port; the recipe's is 20000), prints the bound port
//   on its first line and, after CONNECTIONS connections (default: no limit), exits.
// Against the Python side (certificates from certs.mjs in /tmp/certs):
//   node examples/11.10-tls/server.mjs 0 /tmp/certs/server.crt /tmp/certs/server.key
//   python3 examples/11.10-tls/recipe_client.py PORT /tmp/certs/ca.crt
import { createTlsServer } from '@net/tls';

const [port, certFile, keyFile, connections = 'Infinity'] = process.argv.slice(2);
let remaining = Number(connections);
const served = () => {
  if (--remaining === 0) server.close(); // finishes once the last handler returns
};

const server = createTlsServer(
  async (conn) => {
    console.log('Got connection', conn.remoteAddress, conn.remotePort, conn.socket.getProtocol());
    try {
      for await (const chunk of conn) await conn.write(chunk); // echo until the client ends
      console.log('Connection closed');
    } finally {
      served();
    }
  },
  {
    certFile,
    keyFile,
    onError: (error, { phase }) => {
      console.log(`${phase}: ${error.code}: ${error.message}`);
      if (phase === 'handshake') served();
    },
  },
);
const address = await server.listen({ host: '127.0.0.1', port: Number(port) });
console.log(address.port);
