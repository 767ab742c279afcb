// Load generator, run as a child process so it has its own core and event loop.
// On each IPC message { port, bytes } it connects to 127.0.0.1:port, writes `bytes`
// bytes as fast as the socket takes them (honouring backpressure) and ends.
import { once } from 'node:events';
import { connect } from 'node:net';

const block = Buffer.alloc(4 * 1024 * 1024, 0x5a);

process.on('message', async ({ port, bytes }) => {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('error', () => undefined); // the receiver may destroy as soon as it has all
  await once(socket, 'connect');
  let left = bytes;
  while (left > 0) {
    const piece = left >= block.byteLength ? block : block.subarray(0, left);
    left -= piece.byteLength;
    if (!socket.write(piece)) await once(socket, 'drain');
  }
  socket.end();
  process.send({ sent: bytes });
});

process.on('disconnect', () => process.exit(0));
