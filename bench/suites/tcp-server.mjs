// @net/tcp-server: ping-pong echo (send a message, wait for all of it to come back,
// repeat) against the best raw `net` echo server, with a native epoll load generator in a
// separate process. Targets: 64 B over 50 connections >= 0.95x, 1 MiB over 4 >= 1.0x.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTcpServer } from '@net/tcp-server';
import { compare, table } from '../lib/compare.mjs';

export const description =
  'ping-pong echo (64 B x 50 connections, 1 MiB x 4) vs a raw net echo server, native load generator';

const run$ = promisify(execFile);
const MiB = 1024 * 1024;

/** Compiles the load generator into a temp dir; returns its path and a cleanup. */
async function buildGenerator() {
  const dir = mkdtempSync(join(tmpdir(), 'tcp-server-bench-'));
  const binary = join(dir, 'pingpong');
  const source = fileURLToPath(new URL('../lib/tcp-server-pingpong.c', import.meta.url));
  try {
    await run$('cc', ['-O2', '-o', binary, source]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Compiling ${source} failed; install a C compiler (apt-get install gcc)`, {
      cause: error,
    });
  }
  return { binary, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The best raw `net` echo: 'data' -> write, pause on backpressure, resume on 'drain'. */
function rawEcho(socket) {
  socket.on('error', () => undefined);
  socket.on('data', (chunk) => {
    if (!socket.write(chunk)) socket.pause();
  });
  socket.on('drain', () => socket.resume());
}

/**
 * Reference, not a product: the least a `for await` handler can cost. A bare iterator over
 * 'data' events and an `await` per write, no limits, no errors, no backpressure.
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

async function listenRaw(handler = rawEcho) {
  const server = createServer({ noDelay: true }, handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: server.address().port, close: () => server.close() };
}

async function listenOurs() {
  const server = createTcpServer(async (conn) => {
    for await (const chunk of conn) await conn.write(chunk);
  });
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  return { port, close: () => server.close({ timeout: 1_000 }) };
}

/** The C echo server in its own process: the load check. */
async function listenNative(binary) {
  const child = spawn(binary, ['server', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = await once(lines, 'line');
  return { port: Number(line.split(' ')[1]), close: () => child.kill() };
}

export async function run({ rounds }) {
  const ms = Number(process.env.BENCH_MS ?? 2_000);
  const { binary, cleanup } = await buildGenerator();
  const servers = [];
  try {
    const raw = await listenRaw();
    const minimal = await listenRaw(minimalForAwait);
    const ours = await listenOurs();
    const native = await listenNative(binary);
    servers.push(raw, minimal, ours, native);

    /**
     * One load run; returns round trips per second, or MB/s of echoed payload. For a server
     * in this process, also the work done (round trips, or MB), for its CPU efficiency.
     */
    const pingPong =
      (port, connections, size, unit, inProcess = true) =>
      async () => {
        const args = ['client', String(port), String(connections), String(size), String(ms)];
        const { stdout } = await run$(binary, args);
        const [trips, ns] = stdout.trim().split(' ').map(Number);
        const perSecond = trips / (ns / 1e9);
        const rate = unit === 'MB/s' ? (perSecond * size) / 1e6 : perSecond;
        if (!inProcess) return rate;
        return { rate, work: unit === 'MB/s' ? (trips * size) / 1e6 : trips };
      };
    const profile = (connections, size, unit) => ({
      baseline: {
        label: "baseline: raw net echo ('data' → write, pause/resume on drain)",
        run: pingPong(raw.port, connections, size, unit),
      },
      candidates: [
        {
          label: '@net/tcp-server: `for await (chunk of conn) await conn.write(chunk)`',
          run: pingPong(ours.port, connections, size, unit),
        },
        {
          label: 'reference: bare `for await` over data events + `await` per write (no limits)',
          run: pingPong(minimal.port, connections, size, unit),
        },
        {
          label: 'load check: C epoll echo server (separate process)',
          run: pingPong(native.port, connections, size, unit, false),
        },
      ],
    });
    const small = await compare({ ...profile(50, 64, 'round trips/s'), rounds });
    const large = await compare({ ...profile(4, MiB, 'MB/s'), rounds });
    return {
      title: `tcp-server: ping-pong echo over loopback, C epoll load generator in a separate process, ${rounds} rounds of ${ms} ms`,
      table: `64-byte messages over 50 connections:\n\n${table(small, 'round trips/s', 'round trips')}\n\n1 MiB messages over 4 connections (MB/s of echoed payload):\n\n${table(large, 'MB/s', 'MB')}`,
      notes: [
        'The load check row runs the same generator against a native echo server: a figure well above the baseline shows the generator has headroom and is not the bottleneck.',
        'Node servers run in the bench process; the generator and the C server each run in their own process. Server CPU-second: the CPU time of the bench process during the measurement (the steadier figure on a shared machine).',
        'The reference row is the floor of the `for await` handler style (one promise per chunk, two awaits), without anything a library adds; it is not a product.',
      ],
    };
  } finally {
    for (const server of servers) await server.close();
    cleanup();
  }
}
