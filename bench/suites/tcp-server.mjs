// @net/tcp-server: ping-pong echo (send a message, wait for all of it to come back,
// repeat) against the best raw `net` echo server, with a native epoll load generator in a
// separate process. Targets: 64 B over 50 connections >= 0.95x, 1 MiB over 4 >= 1.0x.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compare, table } from '../lib/compare.mjs';
import { startServerProcess } from '../lib/server-process.mjs';

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

const echoServer = fileURLToPath(new URL('../lib/tcp-echo-server.mjs', import.meta.url));

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
    // Each Node server in its own fresh process: its own heap and JIT, and its CPU time
    // read from /proc/<pid>/stat, apart from the generator's.
    const start = async (...args) => {
      const server = await startServerProcess(echoServer, args);
      servers.push(server);
      return server;
    };
    const raw = await start('raw');
    const minimal = await start('minimal');
    const ours = await start('ours');
    const oursSmall = await start('exactly', '64');
    const oursLarge = await start('exactly', String(MiB));
    const native = await listenNative(binary);
    servers.push(native);

    /**
     * One load run; returns round trips per second, or MB/s of echoed payload. For a server
     * in this process, also the work done (round trips, or MB), for its CPU efficiency.
     */
    const pingPong = (server, connections, size, unit) => async () => {
      const args = ['client', String(server.port), String(connections), String(size), String(ms)];
      const cpuBefore = server.cpuSeconds?.();
      const { stdout } = await run$(binary, args);
      const cpu = server.cpuSeconds?.() - cpuBefore;
      const [trips, ns] = stdout.trim().split(' ').map(Number);
      const perSecond = trips / (ns / 1e9);
      const rate = unit === 'MB/s' ? (perSecond * size) / 1e6 : perSecond;
      if (server.cpuSeconds === undefined) return rate;
      return { rate, work: unit === 'MB/s' ? (trips * size) / 1e6 : trips, cpu };
    };
    const profile = (connections, size, unit, exactly) => ({
      baseline: {
        label: "baseline: raw net echo ('data' → write, pause/resume on drain)",
        run: pingPong(raw, connections, size, unit),
      },
      candidates: [
        {
          label: '@net/tcp-server: `for await (chunk of conn) await conn.write(chunk)`',
          run: pingPong(ours, connections, size, unit),
        },
        {
          label: `@net/tcp-server: \`await conn.write(await conn.readExactly(${size === MiB ? '1 MiB' : size}))\``,
          run: pingPong(exactly, connections, size, unit),
        },
        {
          label: 'reference: bare `for await` over data events + `await` per write (no limits)',
          run: pingPong(minimal, connections, size, unit),
        },
        {
          label: 'load check: C epoll echo server',
          run: pingPong(native, connections, size, unit),
        },
      ],
    });
    const small = await compare({ ...profile(50, 64, 'round trips/s', oursSmall), rounds });
    const large = await compare({ ...profile(4, MiB, 'MB/s', oursLarge), rounds });
    return {
      title: `tcp-server: ping-pong echo over loopback, C epoll load generator in a separate process, ${rounds} rounds of ${ms} ms`,
      table: `64-byte messages over 50 connections:\n\n${table(small, 'round trips/s', 'round trips')}\n\n1 MiB messages over 4 connections (MB/s of echoed payload):\n\n${table(large, 'MB/s', 'MB')}`,
      notes: [
        'The load check row runs the same generator against a native echo server: a figure well above the baseline shows the generator has headroom and is not the bottleneck.',
        'Every server and the generator run in their own processes, each Node server in one fresh process for the whole suite. Server CPU-second: user + system CPU time of the server process during the measurement, from /proc/<pid>/stat (the steadier figure on a shared machine); it includes the kernel work of its reads and writes, the same for every case.',
        'The reference row is the floor of the `for await` handler style (one promise per chunk, two awaits), without anything a library adds; it is not a product.',
      ],
    };
  } finally {
    for (const server of servers) await server.close();
    cleanup();
  }
}
