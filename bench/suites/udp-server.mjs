// @net/udp-server: 64-byte echo ping-pong over 50 flows (load from a separate process),
// our server against a raw dgram echo server in the same run (target >= 0.95x).

import { execFileSync, fork, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createUdpServer } from '@net/udp-server';
import { compare, median, table } from '../lib/compare.mjs';

export const description = '64-byte UDP echo ping-pong over 50 flows vs a raw dgram echo server';

const FLOWS = 50;

/**
 * Pins this process (the servers) to CPU 0 so that the generator can have CPU 1: on a
 * two-core machine, letting the scheduler move the two busy processes around makes the
 * rate jump between two levels from case to case. Off with BENCH_UDP_PIN=0, or where
 * `taskset` (util-linux) is missing. Returns whether it pinned.
 */
function pinCpus() {
  if (process.env.BENCH_UDP_PIN === '0' || process.platform !== 'linux' || cpus().length < 2) {
    return false;
  }
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function run({ rounds }) {
  const ms = Number(process.env.BENCH_UDP_MS ?? 2_000);
  const generatorUrl = new URL('../lib/udp-server-pingpong.mjs', import.meta.url);
  const pinned = pinCpus();
  const generator = pinned
    ? spawn('taskset', ['-c', '1', process.execPath, fileURLToPath(generatorUrl)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : fork(generatorUrl, { stdio: 'inherit' });

  const raw = createSocket('udp4');
  raw.on('message', (m, r) => raw.send(m, r.port, r.address)); // the baseline, verbatim
  raw.bind(0, '127.0.0.1');
  await once(raw, 'listening');

  const syncServer = createUdpServer((msg) => msg.reply(msg.data));
  const asyncServer = createUdpServer(async (msg) => {
    await msg.reply(msg.data);
  });
  const sendServer = createUdpServer((msg) => {
    msg.send(msg.data);
  });
  const syncPort = (await syncServer.bind({ host: '127.0.0.1', port: 0 })).port;
  const sendPort = (await sendServer.bind({ host: '127.0.0.1', port: 0 })).port;
  const asyncPort = (await asyncServer.bind({ host: '127.0.0.1', port: 0 })).port;

  const shares = { generator: [], server: [] };
  /**
   * Round trips per second of `flows` ping-pong flows against `port`, and the round trips
   * done (the servers run in this process: compare() turns them into round trips per
   * server CPU-second).
   */
  async function load(port, flows = FLOWS) {
    const reply = once(generator, 'message');
    const serverCpu = process.cpuUsage();
    generator.send({ port, flows, ms });
    const [result] = await reply;
    const cpu = process.cpuUsage(serverCpu);
    if (flows === FLOWS) {
      shares.generator.push(result.cpuMs / result.ms);
      shares.server.push((cpu.user + cpu.system) / 1000 / (result.ms + 50));
    }
    return { rate: result.roundTrips / (result.ms / 1000), work: result.roundTrips };
  }

  try {
    const rows = await compare({
      baseline: {
        label: "baseline: raw dgram echo (socket.on('message') → socket.send)",
        run: () => load(raw.address().port),
      },
      candidates: [
        {
          label: 'createUdpServer((msg) => msg.reply(msg.data))',
          run: () => load(syncPort),
        },
        {
          label: 'createUdpServer(async (msg) => { await msg.reply(msg.data) })',
          run: () => load(asyncPort),
        },
        {
          label: 'createUdpServer((msg) => { msg.send(msg.data) }), fire-and-forget',
          run: () => load(sendPort),
        },
        {
          label: 'load check: raw dgram echo, half the flows (25)',
          run: () => load(raw.address().port, FLOWS / 2),
        },
      ],
      rounds,
    });
    const pct = (values) => `${(median(values) * 100).toFixed(0)}%`;
    return {
      title: `udp-server: 64-byte echo ping-pong, ${FLOWS} flows, ${ms} ms per case, generator in a separate process, ${rounds} rounds`,
      table: table(rows, 'round trips/s', 'round trips'),
      notes: [
        'Load check: when half the flows reach about the same rate as all 50, the server, not the number of flows in flight, sets the pace.',
        `CPU time / wall time over the 50-flow cases (medians): generator ${pct(shares.generator)} of one core, server process ${pct(shares.server)}.`,
        "Server CPU-second: the CPU time of the bench process, where every server runs (the generator has its own process), during the measurement. It includes the kernel's share (the recvmsg/sendto system calls), the same for every case.",
        pinned
          ? 'Servers pinned to CPU 0 and the generator to CPU 1 (taskset); BENCH_UDP_PIN=0 turns that off.'
          : 'Processes not pinned to CPUs.',
      ],
    };
  } finally {
    generator.disconnect();
    if (pinned)
      execFileSync('taskset', ['-a', '-p', '-c', `0-${cpus().length - 1}`, String(process.pid)], {
        stdio: 'ignore',
      });
    raw.close();
    await syncServer.close();
    await asyncServer.close();
    await sendServer.close();
  }
}
