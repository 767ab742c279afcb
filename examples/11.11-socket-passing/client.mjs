// A Node client for the echo servers of recipe 11.11 (the book tries its server with
// telnet): sends each message, prints what comes back, then closes.
//
// Usage: node examples/11.11-socket-passing/client.mjs PORT MESSAGE...
// Against the recipe's Python server:
//   python3 examples/11.11-socket-passing/recipe.py 0 1
//   node examples/11.11-socket-passing/client.mjs PORT Hello World
import { connect } from 'node:net';
import { createStreamReader } from '@net/stream-reader';

const [port, ...messages] = process.argv.slice(2);
const socket = connect(Number(port), '127.0.0.1');
socket.on('error', () => {}); // a reset reaches the reader's calls instead
const reader = createStreamReader(socket, { timeout: 10_000 });
for (const message of messages) {
  socket.write(message);
  const echo = await reader.readExactly(Buffer.byteLength(message));
  console.log('Got:', String(echo));
}
socket.end();
