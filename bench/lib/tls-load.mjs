// Load generator for bench/suites/tls.mjs, run as a child process so that the client's
// half of every handshake has its own core and event loop. On each IPC message
// { id, op, port, tls, ca, maxCount, maxMs, concurrency, bytes, maxBulkMs } it runs one measurement
// and answers { id, rate, work } (or { id, error }); work is what the rate counts
// (connections, or bytes echoed), for the suite's CPU efficiency:
//   op 'handshakes': connections per second; each connects (TLS unless tls is false),
//                    sends one byte, waits for its echo and ends. With resume: true, every
//                    connection offers the newest session ticket the server gave.
//   op 'bulk':       one connection echoing `bytes` bytes (or what comes back within
//                    maxBulkMs); MB/s of the round trip.
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

const block = Buffer.alloc(64 * 1024, 0x5a);

function open({ port, tls, ca, session }) {
  const socket = tls
    ? tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca, session })
    : tcpConnect({ host: '127.0.0.1', port, noDelay: true });
  socket.on('error', () => undefined);
  return socket;
}

async function handshakes({ port, tls, ca, maxCount, maxMs, concurrency, resume }) {
  let session;
  let started = 0;
  let completed = 0;
  const begin = performance.now();
  const one = async () => {
    const socket = open({ port, tls, ca, session: resume ? session : undefined });
    if (resume) socket.on('session', (s) => (session = s));
    await once(socket, tls ? 'secureConnect' : 'connect');
    if (resume && session !== undefined && !socket.isSessionReused()) {
      throw new Error('the server did not resume the session');
    }
    socket.write('x');
    await once(socket, 'data');
    const closed = once(socket, 'close');
    socket.end();
    socket.resume();
    await closed;
  };
  if (resume) await one(); // the first connection fetches the ticket
  const worker = async () => {
    while (started < maxCount && performance.now() - begin < maxMs) {
      started++;
      await one();
      completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { rate: completed / ((performance.now() - begin) / 1000), work: completed };
}

async function bulk({ port, tls, ca, bytes, maxBulkMs }) {
  const socket = open({ port, tls, ca });
  await once(socket, tls ? 'secureConnect' : 'connect');
  const begin = performance.now();
  let received = 0;
  let timer;
  const done = new Promise((resolve) => {
    timer = setTimeout(resolve, maxBulkMs); // bounded in time too: then the rate of what came back
    socket.on('data', (chunk) => {
      received += chunk.byteLength;
      if (received >= bytes) resolve();
    });
  });
  let timedOut = false;
  done.then(() => (timedOut = received < bytes));
  for (let sent = 0; sent < bytes && !timedOut; sent += block.byteLength) {
    if (!socket.write(block)) await Promise.race([once(socket, 'drain'), done]);
  }
  await done;
  clearTimeout(timer);
  const ms = performance.now() - begin;
  socket.destroy();
  return { rate: received / ms / 1000, work: received / 1e6 };
}

process.on('message', async (message) => {
  try {
    const { rate, work } = message.op === 'bulk' ? await bulk(message) : await handshakes(message);
    process.send({ id: message.id, rate, work });
  } catch (error) {
    process.send({ id: message.id, error: String(error?.stack ?? error) });
  }
});

process.on('disconnect', () => process.exit(0));
