// Child process of many-connections.test.ts: opens `count` connections to the server in
// batches, checks each one is served (one byte echoed), reports, then holds them until
// told to close. A separate process because each process may open only 20,000 files.
import { connect } from 'node:net';

const [port, count, batch] = process.argv.slice(2).map(Number);
const sockets = [];

function open() {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => reject(new Error('no echo within 10 s')), 10_000);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => socket.write('x'));
    socket.once('data', (data) => {
      clearTimeout(timer);
      if (data.toString() !== 'x') reject(new Error(`unexpected echo ${data}`));
      else resolve(socket);
    });
    sockets.push(socket);
  });
}

try {
  for (let opened = 0; opened < count; opened += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - opened) }, open));
  }
  process.send({ held: sockets.length });
} catch (error) {
  process.send({ error: String(error) });
}
process.on('message', () => {
  for (const socket of sockets) socket.destroy();
  process.disconnect();
});
