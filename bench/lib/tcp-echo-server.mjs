// Echo servers of bench/suites/tcp-server.mjs, each run in its own process:
//   node tcp-echo-server.mjs raw            the best raw `net` echo: 'data' -> write,
//                                           pause on backpressure, resume on 'drain'
//   node tcp-echo-server.mjs minimal        the least a `for await` handler can cost (reference)
//   node tcp-echo-server.mjs ours           @net/tcp-server: for await (chunk of conn) await conn.write(chunk)
//   node tcp-echo-server.mjs exactly <n>    @net/tcp-server: readExactly(n) then write, message by message
// Each prints "PORT <n>" once listening on 127.0.0.1 and runs until killed.
import { createServer } from 'node:net';
import { createTcpServer } from '@net/tcp-server';

const [mode, size] = process.argv.slice(2);

function rawEcho(socket) {
  socket.on('error', () => undefined);
  socket.on('data', (chunk) => {
    if (!socket.write(chunk)) socket.pause();
  });
  socket.on('drain', () => socket.resume());
}

/**
 * Reference, not a product: a bare iterator over 'data' events and an `await` per write,
 * with no limits, no errors and no backpressure.
 */
function minimalForAwait(socket) {
  socket.on('error', () => undefined);
  let resolve;
  const wait = (r) => {
    resolve = r;
  };
  socket.on('data', (chunk) => {
    const r = resolve;
    resolve = undefined;
    r?.({ done: false, value: chunk });
  });
  socket.on('close', () => resolve?.({ done: true, value: undefined }));
  const iterator = { next: () => new Promise(wait), [Symbol.asyncIterator]: () => iterator };
  const written = Promise.resolve();
  (async () => {
    for await (const chunk of iterator) {
      socket.write(chunk);
      await written;
    }
  })();
}

async function listenRaw(handler) {
  const server = createServer({ noDelay: true }, handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

async function listenOurs(handler) {
  const server = createTcpServer(handler);
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  return port;
}

const messageBytes = Number(size);
const servers = {
  raw: () => listenRaw(rawEcho),
  minimal: () => listenRaw(minimalForAwait),
  ours: () =>
    listenOurs(async (conn) => {
      for await (const chunk of conn) await conn.write(chunk);
    }),
  exactly: () =>
    listenOurs(async (conn) => {
      for (;;) {
        let message;
        try {
          message = await conn.readExactly(messageBytes);
        } catch {
          return; // the load generator ends (or resets) between messages
        }
        await conn.write(message);
      }
    }),
};
if (!(mode in servers) || (mode === 'exactly' && !(messageBytes > 0))) {
  console.error(`usage: tcp-echo-server.mjs ${Object.keys(servers).join('|')} [message bytes]`);
  process.exit(2);
}
console.log(`PORT ${await servers[mode]()}`);
