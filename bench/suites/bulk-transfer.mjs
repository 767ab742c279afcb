// @net/bulk-transfer: a Float64Array of BENCH_BYTES (default 1 GiB) between two processes
// over loopback, in both directions (the connecting side receives, through connectForBulk's
// zero-copy path; the accepting side receives, through StreamReader's one copy per chunk),
// against iperf3 on the same loopback in the same run, and against the naive Node receiver
// ('data' events copied into the array). Target: >= 1.0x iperf3 both ways, and the
// receiver's peak RSS at most the array size + 64 MiB.
import { execFile, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { compare, median, table } from '../lib/compare.mjs';

export const description =
  '1 GiB Float64Array over loopback between two processes, both directions, vs iperf3 and naive Node';

const MiB = 1024 * 1024;
const IPERF3 = process.env.IPERF3 ?? '/usr/bin/iperf3';
const peerFile = new URL('../lib/bulk-transfer-peer.mjs', import.meta.url);

/** A free loopback port for iperf3's server. */
async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One iperf3 transfer of `total` bytes; `reverse` makes the connecting side receive. */
async function iperf3(total, reverse) {
  const port = await freePort();
  const server = spawn(IPERF3, ['-s', '-1', '--forceflush', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    // Wait for "Server listening", and keep draining its output (a closed pipe kills it).
    await new Promise((resolve, reject) => {
      let out = '';
      server.stdout.setEncoding('utf8').on('data', (chunk) => {
        out += chunk;
        if (out.includes('listening')) resolve();
      });
      server.once('exit', (code) => reject(new Error(`iperf3 -s exited early (${code})`)));
    });
    const args = ['-c', '127.0.0.1', '-p', String(port), '-n', String(total), '-J'];
    if (reverse) args.push('-R');
    const { stdout } = await promisify(execFile)(IPERF3, args, { maxBuffer: 16 * MiB });
    const report = JSON.parse(stdout);
    return report.end.sum_received.bits_per_second / 8 / 1e6; // MB/s
  } finally {
    server.kill();
  }
}

export async function run({ rounds }) {
  const total = Number(process.env.BENCH_BYTES ?? 1024 * MiB);
  if (!Number.isInteger(total) || total <= 0 || total % 8 !== 0) {
    throw new Error('BENCH_BYTES must be a positive multiple of 8');
  }
  const sender = fork(peerFile, ['sender', String(total)], { stdio: 'inherit' });
  const [{ port: senderPort }] = await once(sender, 'message');
  const rss = new Map(); // label -> receiver peak RSS samples

  async function setMode(mode) {
    const ack = once(sender, 'message');
    sender.send({ op: 'mode', mode });
    await ack;
  }

  /** One transfer to a fresh receiver process; returns MB/s and records its peak RSS. */
  async function transfer(label, mode, side) {
    await setMode(mode.startsWith('npy') ? 'npy' : 'raw');
    const args = ['receiver', String(total), mode, side];
    if (side === 'connect') args.push(String(senderPort));
    const receiver = fork(peerFile, args, { stdio: 'inherit' });
    let [msg] = await once(receiver, 'message');
    if (side === 'accept') {
      sender.send({ op: 'connect', port: msg.port });
      [msg] = await once(receiver, 'message');
    }
    await once(receiver, 'exit');
    if (mode !== 'discard' && msg.last !== total / 8 - 1)
      throw new Error(`${label}: wrong data (last element ${msg.last})`);
    if (!rss.has(label)) rss.set(label, []);
    rss.get(label).push(msg.maxRSS);
    return total / msg.ms / 1000;
  }

  const direction = (side) => {
    const reverse = side === 'connect';
    const via =
      side === 'connect' ? 'connectForBulk, zero copy' : 'accepted socket, one copy per chunk';
    const c = (label, mode) => ({ label, run: () => transfer(`${side}: ${label}`, mode, side) });
    return {
      baseline: {
        label: `baseline: iperf3${reverse ? ' -R' : ''}`,
        run: () => iperf3(total, reverse),
      },
      candidates: [
        c(`sendArray → recvArray (${via})`, 'npy'),
        c(`sendArray → recvArray({ buffer }), preallocated buffer (${via})`, 'npy-reuse'),
        c(`sendBuffer → recvInto, preallocated array (${via})`, 'into'),
        c("naive Node: 'data' events copied into the array", 'naive'),
        c("load check: 'data' events discarded (no copy)", 'discard'),
      ],
    };
  };

  try {
    const connecting = await compare({ ...direction('connect'), rounds, warmup: 1 });
    const accepting = await compare({ ...direction('accept'), rounds, warmup: 1 });
    const gib = (total / 1024 / MiB).toFixed(total >= 1024 * MiB ? 0 : 3);
    const budget = total + 64 * MiB;
    const rssLines = [...rss.entries()].map(([label, samples]) => {
      const peak = median(samples);
      return `${label}: receiver peak RSS ${(peak / MiB).toFixed(0)} MiB (median; budget array + 64 MiB = ${(budget / MiB).toFixed(0)} MiB: ${peak <= budget ? 'within' : 'OVER'})`;
    });
    return {
      title: `bulk-transfer: ${gib} GiB Float64Array over loopback TCP between two processes, ${rounds} rounds`,
      table: `Connecting side receives:\n\n${table(connecting, 'MB/s')}\n\nAccepting side receives:\n\n${table(accepting, 'MB/s')}`,
      notes: [
        'Rates are measured by the receiving process from connection to last byte (iperf3: its own receiver figure); every transfer uses a fresh receiver process.',
        'The plain recvArray rows include allocating the array: the kernel maps and zeroes its pages as the first bytes land (on this VM touching 1 GiB of fresh memory alone takes about 0.45 s). The other rows write into a preallocated, already-touched array, as a receiver reusing its buffer does.',
        ...rssLines,
      ],
    };
  } finally {
    sender.disconnect();
  }
}
