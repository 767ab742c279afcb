// Recipe 11.10 ("Adding SSL to Network Services") in Node: the recipe's client
// (recipe_client.py) with @net/tls. It verifies the server's certificate against CAFILE
// (and that it names localhost), sends b'Hello World!' and prints the echo. A server it
// cannot verify fails the handshake with a typed error: ERR_TLS_UNTRUSTED_CERT.
//
// Usage: node examples/11.10-tls/client.mjs PORT CAFILE
// Against the Python side (certificates from certs.mjs in /tmp/certs):
//   python3 examples/11.10-tls/recipe_server.py 0 /tmp/certs/server.crt /tmp/certs/server.key
//   node examples/11.10-tls/client.mjs PORT /tmp/certs/ca.crt
import { readFileSync } from 'node:fs';
import { connectTls } from '@net/tls';

const [port, caFile] = process.argv.slice(2);
try {
  const sock = await connectTls({
    host: '127.0.0.1',
    port: Number(port),
    servername: 'localhost',
    ca: readFileSync(caFile),
  });
  sock.end('Hello World!');
  let resp = '';
  for await (const chunk of sock) resp += chunk;
  console.log('Got:', resp);
} catch (error) {
  console.error(`${error.code}: ${error.message}`);
  process.exitCode = 1;
}
