// Child process of holdSilentClients (silent-clients.ts): opens `count` TCP connections
// that never send a byte, `batch` at a time, and reports how many the server closed (an
// end or a reset seen) and how long after opening. A separate process so that the test's
// /proc/self/fd counts the server's sockets only. Bounded: every socket is destroyed after
// `holdMs`.
import { connect } from 'node:net';

const [port, count, batch, holdMs] = process.argv.slice(2).map(Number);
const results = [];
const sockets = [];

function open() {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ port, host: '127.0.0.1' });
    sockets.push(socket);
    let done = false;
    const finish = (how) => {
      if (done) return;
      done = true;
      results.push({ how, after: Math.round(performance.now() - started) });
      socket.destroy();
    };
    socket.on('error', () => finish('reset'));
    socket.on('end', () => finish('end'));
    socket.on('close', () => finish('close'));
    socket.on('data', () => undefined); // a challenge the server sends first: ignored
    socket.once('connect', resolve);
    socket.once('error', resolve);
  });
}

for (let opened = 0; opened < count; opened += batch) {
  await Promise.all(Array.from({ length: Math.min(batch, count - opened) }, open));
}
process.send({ opened: sockets.length });
const deadline = Date.now() + holdMs;
while (results.length < count && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
for (const socket of sockets) socket.destroy();
process.send({ closedByServer: results.length, results });
process.disconnect();
