// @net/tls: full and resumed TLS handshakes per second and bulk echo throughput, against a
// plain tls.createServer with the same certificate in the same run (target >= 0.95x on
// both). The clients run in a separate process (lib/tls-load.mjs); plain TCP rows are the
// load check: they show what the generator manages without TLS.
import { fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDevCertificates } from '@net/tls';
import { compare, table } from '../lib/compare.mjs';
import { startServerProcess } from '../lib/server-process.mjs';

export const description =
  'TLS handshakes/s (full, resumed) and bulk echo MB/s: @net/tls createTlsServer vs tls.createServer';

const MAX_CONNECTIONS = Number(process.env.BENCH_TLS_CONNECTIONS ?? 5_000);
const MAX_MS = Number(process.env.BENCH_TLS_MS ?? 1_000);
const BYTES = Number(process.env.BENCH_TLS_BYTES ?? 64 * 1024 * 1024);
const MAX_BULK_MS = Number(process.env.BENCH_TLS_BULK_MS ?? 20_000);
const CONCURRENCY = 8;

const echoServer = fileURLToPath(new URL('../lib/tls-echo-server.mjs', import.meta.url));

export async function run({ rounds }) {
  const certsDir = join(tmpdir(), 'net-tls-bench-certs');
  const certs = await generateDevCertificates({ dir: certsDir });
  // Each server in its own fresh process, its CPU time read from /proc/<pid>/stat.
  const servers = [];
  const start = async (...args) => {
    const server = await startServerProcess(echoServer, args);
    servers.push(server);
    return server;
  };
  const baseline = await start('node', certsDir);
  const ours = await start('ours', certsDir);
  const plain = await start('plain');

  const load = fork(new URL('../lib/tls-load.mjs', import.meta.url), { stdio: 'inherit' });
  let nextId = 0;
  const pending = new Map();
  load.on('message', ({ id, rate, work, error }) => {
    const { resolve, reject, server, cpuBefore } = pending.get(id);
    pending.delete(id);
    if (error) reject(new Error(`load generator: ${error}`));
    else resolve({ rate, work, cpu: server.cpuSeconds() - cpuBefore });
  });
  const ask = (server, message) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, server, cpuBefore: server.cpuSeconds() });
      load.send({
        id,
        ca: certs.caCert,
        maxCount: MAX_CONNECTIONS,
        maxMs: MAX_MS,
        concurrency: CONCURRENCY,
        bytes: BYTES,
        maxBulkMs: MAX_BULK_MS,
        ...message,
      });
    });

  /** baseline / ours / load check rows for one kind of measurement. */
  const cases = (op, extra = {}) => ({
    baseline: {
      label: 'baseline: tls.createServer',
      run: () => ask(baseline, { op, port: baseline.port, tls: true, ...extra }),
    },
    candidates: [
      {
        label: '@net/tls createTlsServer',
        run: () => ask(ours, { op, port: ours.port, tls: true, ...extra }),
      },
      {
        label: 'load check: plain TCP echo (no TLS), same generator',
        run: () => ask(plain, { op, port: plain.port, tls: false, ...extra }),
      },
    ],
  });

  try {
    const full = await compare({ ...cases('handshakes'), rounds });
    const resumed = await compare({ ...cases('handshakes', { resume: true }), rounds });
    const bulk = await compare({ ...cases('bulk'), rounds });
    const mib = BYTES / 1024 / 1024;
    return {
      title: `tls: loopback, clients in a separate process, ECDSA P-256 dev certificate, ${rounds} rounds`,
      table: [
        `Full handshakes (${CONCURRENCY} in flight; connect, 1-byte echo, close):\n\n${table(full, 'handshakes/s', 'handshakes')}`,
        `Resumed handshakes (session tickets):\n\n${table(resumed, 'handshakes/s', 'handshakes')}`,
        `Bulk echo (${mib} MiB through one connection, 64 KiB writes):\n\n${table(bulk, 'MB/s', 'MB')}`,
      ].join('\n\n'),
      notes: [
        `Handshake measurements run until ${MAX_CONNECTIONS} connections or ${MAX_MS} ms, bulk ones until ${mib} MiB or ${MAX_BULK_MS} ms, whichever comes first.`,
        'The load-check rows use the same generator without TLS: far above the TLS rows, so the generator is not what limits them.',
        "Each server runs in its own process and the clients in another. Server CPU-second: user + system CPU time of the server's process during the measurement, from /proc/<pid>/stat. The generator is the busier side, so handshakes/s follows each server's latency; the CPU efficiency is each server's own cost.",
        'Target: @net/tls >= 0.95x of the baseline for full handshakes and for bulk echo.',
      ],
    };
  } finally {
    load.disconnect();
    for (const server of servers) await server.close();
  }
}
