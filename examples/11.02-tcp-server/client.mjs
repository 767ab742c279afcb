// Recipe 11.2's client in Node: connect, send 'Hello', print the echo. The same command
// line as recipe_client.py next to it; run it against the recipe's server:
//
//   python3 examples/11.02-tcp-server/recipe_server.py 0     (prints its port)
//   node examples/11.02-tcp-server/client.mjs PORT
import { once } from 'node:events';
import { connect } from 'node:net';
import { createStreamReader } from '@net/stream-reader';

const port = Number(process.argv[2] ?? 20000);
const s = connect(port, '127.0.0.1'); // s.connect(('localhost', 20000))
await once(s, 'connect');
s.write('Hello'); // s.send(b'Hello')

// s.recv(8192) returns what has arrived; readExactly waits for all five bytes.
const reader = createStreamReader(s, { timeout: 10_000 });
console.log(Buffer.from(await reader.readExactly(5)).toString()); // Hello
s.end();
