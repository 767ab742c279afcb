// Recipe 11.9's client in Node: @net/hmac-auth's clientAuthenticate (the recipe's
// client_authenticate), then 'Hello World' and its echo. The same command line as
// recipe_client.py next to it; run it against the recipe's server:
//
//   python3 examples/11.09-hmac-auth/recipe_server.py 0     (prints its port)
//   node examples/11.09-hmac-auth/client.mjs PORT [KEY]
//
// With a KEY other than the server's (peekaboo) the server hangs up: this prints why and
// exits with code 1.
import { once } from 'node:events';
import { connect } from 'node:net';
import { clientAuthenticate } from '@net/hmac-auth';
import { createStreamReader } from '@net/stream-reader';

const port = Number(process.argv[2] ?? 18000);
const secretKey = Buffer.from(process.argv[3] ?? 'peekaboo');

const s = connect(port, '127.0.0.1');
s.on('error', () => {}); // a reset shows up as the read's error below
await once(s, 'connect');
await clientAuthenticate(s, secretKey);
s.write('Hello World'); // straight after the digest, as the recipe does

// resp = s.recv(1024): null when the server closed the connection instead of echoing.
const reader = createStreamReader(s, { timeout: 10_000 });
const resp = await reader.read({ maxLength: 1024 }).catch((error) => error);
if (resp instanceof Uint8Array) {
  console.log(Buffer.from(resp).toString()); // Hello World
} else {
  console.log('refused: the server closed the connection', resp?.code ?? '(end of stream)');
  process.exitCode = 1;
}
s.end();
