// Echo peers of bench/suites/ipc.mjs, each in its own process:
//   node ipc-echo.mjs ipc <authkey-hex> [path]  @net/ipc listener (TCP, or a Unix socket at path),
//                                        recvBytes -> sendBytes; prints "PORT <n or path>"
//   node ipc-echo.mjs child              child_process IPC: process.on('message') -> process.send
//   node ipc-echo.mjs tcp                one @net/tcp-server process echoing chunks; prints "PORT <n>"
//   node ipc-echo.mjs worker             a spawnWorkers() worker echoing chunks
//   node ipc-echo.mjs raw                bare net 'data' -> write echo (the floor); prints "PORT <n>"
//   node ipc-echo.mjs await              bare unframed echo in a promise API's style: an async
//                                        loop awaiting one receive and one send per message
import { createServer } from 'node:net';
import { listen, serveWorker } from '@net/ipc';
import { createTcpServer } from '@net/tcp-server';

const mode = process.argv[2];
const echoChunks = async (conn) => {
  for await (const chunk of conn) await conn.write(chunk);
};

if (mode === 'ipc') {
  const authkey = Buffer.from(process.argv[3], 'hex');
  const path = process.argv[4]; // a Unix socket path instead of TCP, when given
  const listener = await listen(path ? { path, authkey } : { host: '127.0.0.1', port: 0, authkey });
  console.log(`PORT ${path ?? listener.address.port}`);
  for await (const conn of listener) {
    (async () => {
      try {
        for (;;) await conn.sendBytes(await conn.recvBytes());
      } catch {
        conn.destroy();
      }
    })();
  }
} else if (mode === 'child') {
  process.on('message', (message) => process.send(message));
} else if (mode === 'tcp') {
  const server = createTcpServer(echoChunks);
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  console.log(`PORT ${port}`);
} else if (mode === 'raw') {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => socket.write(chunk));
  });
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
} else if (mode === 'await') {
  // The floor of any promise-returning recv / send pair, without framing, limits or errors:
  // what @net/ipc's own echo loop (`await sendBytes(await recvBytes())`) costs at least.
  const sent = Promise.resolve();
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    const receive = receiver(socket);
    (async () => {
      for (;;) {
        const chunk = await receive();
        if (chunk === null) return;
        socket.write(chunk);
        await sent;
      }
    })();
  });
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
} else if (mode === 'worker') {
  serveWorker(echoChunks);
} else {
  throw new Error(`unknown mode ${mode}`);
}

/** `receive()`: a promise of the socket's next chunk (`null` at the end); nothing else. */
function receiver(socket) {
  const chunks = [];
  let waiting;
  let ended = false;
  socket.on('data', (chunk) => {
    if (waiting === undefined) chunks.push(chunk);
    else {
      const resolve = waiting;
      waiting = undefined;
      resolve(chunk);
    }
  });
  socket.on('close', () => {
    ended = true;
    waiting?.(null);
  });
  return () => {
    if (chunks.length > 0) return Promise.resolve(chunks.shift());
    if (ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      waiting = resolve;
    });
  };
}
