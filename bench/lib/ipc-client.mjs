// Load generators of bench/suites/ipc.mjs, each in its own process; each prints
// "<trips> <ns> <client CPU µs>", the CPU time this process used during those ns, and in
// `child` mode then "<echo child CPU µs>" (the suite reads other servers' CPU itself).
//   node ipc-client.mjs ipc <port|path> <authkey-hex> <size> <ms> <window> [bytes|values]
//       @net/ipc connect(): ping-pong (window 1) or pipelined (window N in flight)
//   node ipc-client.mjs child <size> <ms> <window>
//       forks `ipc-echo.mjs child` and does the same over child_process send()
//   node ipc-client.mjs tcp <port> <connections> <size> <ms>
//       raw net sockets, ping-pong of <size>-byte messages on each connection
//   node ipc-client.mjs await <port> <size> <ms> <window>
//       one raw net socket driven as the ipc mode drives @net/ipc: a promise per receive
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { connect } from '@net/ipc';
import { processCpuSeconds } from './server-process.mjs';

const [mode, ...args] = process.argv.slice(2);

/**
 * Keeps `window` requests in flight for `ms`; `send()` sends one, `receive()` awaits one
 * reply. With `peer` (a pid), also reports that process's CPU µs during the measurement.
 */
async function drive(send, receive, ms, window, peer = undefined) {
  for (let i = 0; i < 200; i++) {
    send();
    await receive();
  }
  let trips = 0;
  const peerBefore = peer === undefined ? 0 : processCpuSeconds(peer);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  for (let i = 0; i < window; i++) send();
  for (;;) {
    await receive();
    trips++;
    if ((trips & 63) === 0 && process.hrtime.bigint() >= end) break;
    send();
  }
  const elapsed = process.hrtime.bigint() - start;
  const used = process.cpuUsage(cpu);
  const fields = [trips, elapsed, used.user + used.system];
  if (peer !== undefined) fields.push(Math.round((processCpuSeconds(peer) - peerBefore) * 1e6));
  for (let i = 0; i < window - 1; i++) await receive();
  return fields.join(' ');
}

if (mode === 'ipc') {
  const [port, key, size, ms, window, kind] = args;
  const authkey = Buffer.from(key, 'hex');
  const conn = await connect(
    Number.isInteger(Number(port))
      ? { host: '127.0.0.1', port: Number(port), authkey }
      : { path: port, authkey },
  );
  const bytes = new Uint8Array(Number(size)).fill(120);
  const text = 'x'.repeat(Number(size));
  const values = kind === 'values';
  const send = values ? () => conn.send(text) : () => conn.sendBytes(bytes);
  const receive = values ? () => conn.recv() : () => conn.recvBytes();
  console.log(await drive(send, receive, Number(ms), Number(window)));
  conn.close();
} else if (mode === 'child') {
  const [size, ms, window] = args.map(Number);
  const child = fork(new URL('./ipc-echo.mjs', import.meta.url), ['child']);
  const text = 'x'.repeat(size);
  const replies = [];
  const waiting = [];
  child.on('message', (message) => {
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else replies.push(message);
  });
  const receive = () =>
    replies.length > 0 ? Promise.resolve(replies.shift()) : new Promise((r) => waiting.push(r));
  console.log(await drive(() => child.send(text), receive, ms, window, child.pid));
  child.kill();
} else if (mode === 'tcp') {
  const [port, connections, size, ms] = args.map(Number);
  const message = Buffer.alloc(size, 120);
  let trips = 0;
  let stop = false;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  setTimeout(() => {
    stop = true;
  }, ms);
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const socket = netConnect({ host: '127.0.0.1', port, noDelay: true });
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      await new Promise((resolve) => {
        let got = 0;
        socket.on('data', (chunk) => {
          got += chunk.length;
          if (got < size) return;
          got -= size;
          trips++;
          if (stop) {
            socket.destroy();
            resolve();
          } else socket.write(message);
        });
        socket.on('close', resolve);
        socket.write(message);
      });
    }),
  );
  const elapsed = process.hrtime.bigint() - start;
  const used = process.cpuUsage(cpu);
  console.log(`${trips} ${elapsed} ${used.user + used.system}`);
} else if (mode === 'await') {
  // No framing: a reply is <size> bytes counted off the stream.
  const [port, size, ms, window] = args.map(Number);
  const socket = netConnect({ host: '127.0.0.1', port, noDelay: true });
  await once(socket, 'connect');
  const message = Buffer.alloc(size, 120);
  let received = 0;
  let ready = 0;
  let waiting;
  socket.on('data', (chunk) => {
    received += chunk.length;
    for (; received >= size; received -= size) {
      if (waiting === undefined) ready++;
      else {
        const resolve = waiting;
        waiting = undefined;
        resolve();
      }
    }
  });
  const receive = () => {
    if (ready > 0) {
      ready--;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      waiting = resolve;
    });
  };
  console.log(await drive(() => socket.write(message), receive, ms, window));
  socket.destroy();
} else {
  throw new Error(`unknown mode ${mode}`);
}
