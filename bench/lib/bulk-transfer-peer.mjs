// The two processes of the bulk-transfer suite.
//
//   node bulk-transfer-peer.mjs sender BYTES
//     Long-lived (forked once). Holds a Float64Array of BYTES bytes (a[i] = i) and sends it
//     on every connection: it listens on a port it reports at start, and on { op: 'connect' }
//     connects out. { op: 'mode', mode } says how the next transfers are sent:
//     'npy' (sendArray) or 'raw' (sendBuffer).
//
//   node bulk-transfer-peer.mjs receiver BYTES MODE SIDE [PORT]
//     One-shot (forked per measurement, so its peak RSS is that one transfer's). SIDE is
//     'connect' (it connects to PORT: the connecting side receives) or 'accept' (it listens
//     and reports its port: the accepting side receives). MODE is 'npy' (recvArray),
//     'npy-reuse' (recvArray into a preallocated buffer), 'into' (recvInto a preallocated array), 'naive' ('data' events copied into a
//     preallocated array) or 'discard' (load check: 'data' events thrown away). Reports
//     { ms, maxRSS, last } and exits.
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { connectForBulk, recvArray, recvInto, sendArray, sendBuffer } from '@net/bulk-transfer';

const [role, bytesArg, mode, side, portArg] = process.argv.slice(2);
const total = Number(bytesArg);
const count = total / 8;

if (role === 'sender') {
  const array = new Float64Array(count);
  for (let i = 0; i < count; i++) array[i] = i;
  let sendMode = 'npy';
  const send = async (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    try {
      if (sendMode === 'npy') await sendArray(socket, array);
      else await sendBuffer(socket, array);
      socket.end();
    } catch {
      socket.destroy();
    }
  };
  const server = createServer(send).listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.on('message', (msg) => {
    if (msg.op === 'mode') {
      sendMode = msg.mode;
      process.send({ ok: true });
    } else if (msg.op === 'connect') {
      const socket = connect(msg.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.once('connect', () => send(socket));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ port: server.address().port });
} else {
  // Touch every page of a preallocated destination before timing, as a reused buffer is.
  const dest = mode === 'npy' ? undefined : new Float64Array(count).fill(0);
  const viaData = (socket, copy) =>
    new Promise((resolve) => {
      const bytes = new Uint8Array(dest.buffer);
      let offset = 0;
      socket.on('data', (chunk) => {
        if (copy) bytes.set(chunk, offset);
        offset += chunk.byteLength;
        if (offset >= total) resolve();
      });
    });
  const receive = async (source, socket) => {
    const start = performance.now();
    let last;
    if (mode === 'npy') {
      const { array } = await recvArray(source, { maxBytes: total });
      last = array[count - 1];
    } else if (mode === 'npy-reuse') {
      const { array } = await recvArray(source, { maxBytes: total, buffer: dest.buffer });
      last = array[count - 1];
    } else if (mode === 'into') {
      await recvInto(source, dest);
      last = dest[count - 1];
    } else {
      await viaData(socket, mode === 'naive');
      last = dest[count - 1];
    }
    const ms = performance.now() - start;
    socket.destroy();
    process.send({ ms, maxRSS: process.resourceUsage().maxRSS * 1024, last }, () =>
      process.exit(0),
    );
  };
  if (side === 'connect') {
    const port = Number(portArg);
    if (mode.startsWith('npy') || mode === 'into') {
      const receiver = await connectForBulk({ port, host: '127.0.0.1', noDelay: true });
      await receive(receiver, receiver.socket);
    } else {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      await once(socket, 'connect');
      await receive(socket, socket);
    }
  } else {
    const server = createServer((socket) => {
      server.close();
      socket.on('error', () => undefined);
      receive(socket, socket);
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    process.send({ port: server.address().port });
  }
}
