// Load generator for the udp-server suite, run as a child process so that it has its own
// core and event loop. On each IPC message { port, flows, ms } it opens `flows` UDP
// sockets connected to 127.0.0.1:port (connected sends skip the per-send address lookup,
// which keeps the generator cheap); each flow sends one 64-byte datagram, waits for its
// echo and repeats, for `ms` milliseconds. A flow that made no progress for a resend tick
// (20 ms) re-sends (UDP may drop), and each datagram carries a sequence number so that a
// late echo of an older datagram does not count. Replies { roundTrips, ms, cpuMs }.
import { createSocket } from 'node:dgram';
import { once } from 'node:events';

const SIZE = 64;
const RESEND_MS = 20;

async function run({ port, flows, ms }) {
  const all = [];
  let roundTrips = 0;
  let running = true;
  for (let i = 0; i < flows; i++) {
    const socket = createSocket('udp4');
    socket.on('error', () => undefined); // e.g. ECONNREFUSED while the server is down
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const flow = { socket, seq: 0, seenSeq: -1, payload: Buffer.alloc(SIZE, i) };
    flow.send = () => {
      flow.payload.writeUInt32LE(flow.seq, 0);
      socket.send(flow.payload);
    };
    socket.on('message', (reply) => {
      if (reply.byteLength !== SIZE || reply.readUInt32LE(0) !== flow.seq) return; // stale
      roundTrips++;
      flow.seq = (flow.seq + 1) >>> 0;
      if (running) flow.send();
    });
    all.push(flow);
  }
  const resend = setInterval(() => {
    for (const flow of all) {
      if (flow.seq === flow.seenSeq) flow.send(); // no echo since the last tick
      flow.seenSeq = flow.seq;
    }
  }, RESEND_MS);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  for (const flow of all) flow.send();
  await new Promise((resolve) => setTimeout(resolve, ms));
  running = false;
  const elapsed = performance.now() - start;
  const counted = roundTrips;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(resend);
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the last echoes land
  for (const flow of all) flow.socket.close();
  return { roundTrips: counted, ms: elapsed, cpuMs: (cpu.user + cpu.system) / 1000 };
}

process.on('message', async (job) => {
  process.send(await run(job));
});

process.on('disconnect', () => process.exit(0));
