// @net/tls: full and resumed TLS handshakes per second and bulk echo throughput, against a
// plain tls.createServer with the same certificate in the same run (target >= 0.95x on
// both). The clients run in a separate process (lib/tls-load.mjs); plain TCP rows are the
// load check: they show what the generator manages without TLS.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createNodeTlsServer } from 'node:tls';
import { createTlsServer, generateDevCertificates } from '@net/tls';
import { compare, table } from '../lib/compare.mjs';

export const description =
  'TLS handshakes/s (full, resumed) and bulk echo MB/s: @net/tls createTlsServer vs tls.createServer';

const MAX_CONNECTIONS = Number(process.env.BENCH_TLS_CONNECTIONS ?? 5_000);
const MAX_MS = Number(process.env.BENCH_TLS_MS ?? 1_000);
const BYTES = Number(process.env.BENCH_TLS_BYTES ?? 64 * 1024 * 1024);
const MAX_BULK_MS = Number(process.env.BENCH_TLS_BULK_MS ?? 20_000);
const CONCURRENCY = 8;

const echo = (socket) => {
  socket.on('error', () => undefined);
  socket.pipe(socket);
};

async function listening(server) {
  server.listen({ host: '127.0.0.1', port: 0, backlog: 1024 });
  await once(server, 'listening');
  return server.address().port;
}

export async function run({ rounds }) {
  const certs = await generateDevCertificates({ dir: join(tmpdir(), 'net-tls-bench-certs') });
  const tlsOptions = { cert: certs.server.cert, key: certs.server.key };
  const baseline = createNodeTlsServer({ ...tlsOptions, minVersion: 'TLSv1.2' }, echo);
  baseline.on('tlsClientError', (_error, socket) => socket.destroy());
  const baselinePort = await listening(baseline);
  let failures = 0;
  const ours = createTlsServer(
    async (conn) => {
      for await (const chunk of conn) await conn.write(chunk);
    },
    { ...tlsOptions, onError: () => failures++ },
  );
  const { port: oursPort } = await ours.listen({ host: '127.0.0.1', port: 0 });
  const plain = createNetServer({ noDelay: true }, echo);
  const plainPort = await listening(plain);

  const load = fork(new URL('../lib/tls-load.mjs', import.meta.url), { stdio: 'inherit' });
  let nextId = 0;
  const pending = new Map();
  load.on('message', ({ id, rate, work, error }) => {
    const { resolve, reject } = pending.get(id);
    pending.delete(id);
    if (error) reject(new Error(`load generator: ${error}`));
    else resolve({ rate, work }); // every server here runs in this process: CPU efficiency too
  });
  const ask = (message) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
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
      run: () => ask({ op, port: baselinePort, tls: true, ...extra }),
    },
    candidates: [
      {
        label: '@net/tls createTlsServer',
        run: () => ask({ op, port: oursPort, tls: true, ...extra }),
      },
      {
        label: 'load check: plain TCP echo (no TLS), same generator',
        run: () => ask({ op, port: plainPort, tls: false, ...extra }),
      },
    ],
  });

  try {
    const full = await compare({ ...cases('handshakes'), rounds });
    const resumed = await compare({ ...cases('handshakes', { resume: true }), rounds });
    const bulk = await compare({ ...cases('bulk'), rounds });
    if (failures > 0) throw new Error(`${failures} handshakes failed on the @net/tls server`);
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
        "Server CPU-second: the CPU time of the bench process (where every server here runs; the clients have their own) during the measurement. The generator is the busier side, so handshakes/s follows each server's latency; the CPU efficiency is each server's own cost.",
        'Target: @net/tls >= 0.95x of the baseline for full handshakes and for bulk echo.',
      ],
    };
  } finally {
    load.disconnect();
    baseline.close();
    plain.close();
    await ours.close({ timeout: 1_000 });
  }
}
