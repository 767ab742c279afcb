// @net/ipc: message ping-pong and pipelined messages over one connection (64 B), against
// Node's child_process send() and Python's multiprocessing.connection (both ends Python);
// spawnWorkers() echo throughput with 2 workers against one process; and the pickle codec
// (decodePickle / encodePickle) against Python's own pickle.loads / pickle.dumps on the same
// bytes. Every client, server and codec loop runs in its own process (bench/lib/ipc-*.mjs,
// bench/lib/ipc-pingpong.py, bench/lib/pickle-codec.*).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { spawnWorkers } from '@net/ipc';
import { compare, table } from '../lib/compare.mjs';

export const description =
  'ping-pong and pipelined 64 B messages vs child_process send() and Python multiprocessing; spawnWorkers 2 vs 1; decodePickle / encodePickle vs Python pickle.loads / dumps (131072 floats, 10,000-entry dict)';

const run$ = promisify(execFile);
const lib = (name) => fileURLToPath(new URL(`../lib/${name}`, import.meta.url));
const SIZE = 64;
/** The pickle workloads: bench/lib/pickle-codec.py writes each once, both sides read it. */
const PICKLES = [
  { kind: 'floats', what: 'list of 131072 floats (1 MiB of doubles)' },
  { kind: 'dict', what: "dict of 10,000 str → int ('key0': 0 … 'key9999': 69993)" },
];

/** Starts a server process that prints "PORT <n>"; returns the port and a stopper. */
async function server(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = await once(lines, 'line');
  return { port: line.split(' ')[1], stop: () => child.kill() };
}

/** Runs one load generator process; returns its rate (its "<trips> <ns>" as trips/s). */
async function rate(command, args) {
  const { stdout } = await run$(command, args, { timeout: 60_000 });
  const [trips, ns] = stdout.trim().split(' ').map(Number);
  return trips / (ns / 1e9);
}

export async function run({ rounds }) {
  const ms = String(Number(process.env.BENCH_MS ?? 1_000));
  const key = randomBytes(32).toString('hex');
  const node = process.execPath;
  const stops = [];
  try {
    const ours = await server(node, [lib('ipc-echo.mjs'), 'ipc', key]);
    stops.push(ours.stop);
    const socketDir = mkdtempSync(join(tmpdir(), 'ipc-bench-'));
    stops.push(() => rmSync(socketDir, { recursive: true, force: true }));
    const oursUnix = await server(node, [
      lib('ipc-echo.mjs'),
      'ipc',
      key,
      join(socketDir, 'echo.sock'),
    ]);
    stops.push(oursUnix.stop);
    const python = await server('python3', [lib('ipc-pingpong.py'), 'server', key]);
    stops.push(python.stop);
    const raw = await server(node, [lib('ipc-echo.mjs'), 'raw']);
    stops.push(raw.stop);
    const single = await server(node, [lib('ipc-echo.mjs'), 'tcp']);
    stops.push(single.stop);
    const pool = await spawnWorkers({
      module: lib('ipc-echo.mjs'),
      args: ['worker'],
      count: 2,
      host: '127.0.0.1',
      port: 0,
    });
    stops.push(() => pool.close({ timeout: 1_000 }));
    const pickleDir = mkdtempSync(join(tmpdir(), 'ipc-bench-pickle-'));
    stops.push(() => rmSync(pickleDir, { recursive: true, force: true }));
    const pickleFile = (kind) => join(pickleDir, `${kind}.pickle`);
    for (const { kind } of PICKLES) {
      await run$('python3', [lib('pickle-codec.py'), 'generate', kind, pickleFile(kind)]);
    }

    const client = lib('ipc-client.mjs');
    const messages = (window) => ({
      baseline: {
        label: `baseline: child_process send() / process.send() echo (${SIZE}-char string)`,
        run: () => rate(node, [client, 'child', String(SIZE), ms, String(window)]),
      },
      candidates: [
        {
          label:
            'reference: Python 3.11 multiprocessing.connection, Client ↔ Listener (send_bytes)',
          run: () =>
            rate('python3', [
              lib('ipc-pingpong.py'),
              'client',
              python.port,
              key,
              String(SIZE),
              ms,
              String(window),
            ]),
        },
        {
          label: '@net/ipc sendBytes / recvBytes (TCP)',
          run: () => rate(node, [client, 'ipc', ours.port, key, String(SIZE), ms, String(window)]),
        },
        {
          label: '@net/ipc sendBytes / recvBytes (Unix socket, like child_process)',
          run: () =>
            rate(node, [client, 'ipc', oursUnix.port, key, String(SIZE), ms, String(window)]),
        },
        {
          label: `@net/ipc send / recv of a ${SIZE}-char string (TCP, V8 serialization)`,
          run: () =>
            rate(node, [client, 'ipc', ours.port, key, String(SIZE), ms, String(window), 'values']),
        },
        ...(window === 1
          ? [
              {
                label: "load check: bare net 'data' → write echo, no framing (the TCP floor)",
                run: () => rate(node, [client, 'tcp', raw.port, '1', String(SIZE), ms]),
              },
            ]
          : []),
      ],
    });
    const pingPong = await compare({ ...messages(1), rounds });
    const pipelined = await compare({ ...messages(64), rounds });
    const workers = await compare({
      baseline: {
        label: 'baseline: one process, @net/tcp-server echo',
        run: () => rate(node, [client, 'tcp', single.port, '32', String(SIZE), ms]),
      },
      candidates: [
        {
          label: 'spawnWorkers: primary + 2 workers, @net/tcp-server echo each',
          run: () => rate(node, [client, 'tcp', String(pool.address.port), '32', String(SIZE), ms]),
        },
      ],
      rounds,
    });
    // Per workload and direction, Python's pickle (baseline) against ours, on the same file.
    const codec = [];
    for (const { kind, what } of PICKLES) {
      const file = pickleFile(kind);
      for (const [python, ours, verb] of [
        ['loads', 'decode', 'decode'],
        ['dumps', 'encode', 'encode'],
      ]) {
        const rows = await compare({
          baseline: {
            label:
              python === 'loads'
                ? `baseline: Python 3.11 pickle.loads, ${verb} ${what}`
                : `baseline: Python 3.11 pickle.dumps(protocol=4), ${verb} ${what}`,
            run: () => rate('python3', [lib('pickle-codec.py'), python, file, ms]),
          },
          candidates: [
            {
              label: `@net/ipc ${ours}Pickle, ${verb} ${what}`,
              run: () => rate(node, [lib('pickle-codec.mjs'), ours, file, ms]),
            },
            ...(kind === 'dict' && verb === 'decode'
              ? [
                  {
                    label:
                      'reference: no pickle, the same Map built by hand in JS from fresh strings',
                    run: () => rate(node, [lib('pickle-codec.mjs'), 'build-map', file, ms]),
                  },
                ]
              : []),
          ],
          rounds,
        });
        codec.push({ kind, verb, rows });
      }
    }
    const vsPython = (rows) => {
      const python = rows.find((row) => row.label.startsWith('reference: Python'));
      const bytes = rows.find((row) => row.label === '@net/ipc sendBytes / recvBytes (TCP)');
      return (bytes.median / python.median).toFixed(2);
    };
    return {
      title: 'ipc: 64-byte messages over one connection; spawnWorkers echo; pickle codec',
      table: [
        'Ping-pong (one message in flight), round trips/s:',
        '',
        table(pingPong, 'round trips/s'),
        '',
        'Pipelined (64 messages in flight), messages/s:',
        '',
        table(pipelined, 'messages/s'),
        '',
        'Echo over 32 connections (64 B ping-pong each, raw TCP client), round trips/s:',
        '',
        table(workers, 'round trips/s'),
        '',
        'Pickle codec (ops/s, same bytes both sides; each pair: Python baseline, then ours):',
        '',
        table(
          codec.flatMap(({ rows }) => rows),
          'ops/s',
        ),
      ].join('\n'),
      notes: [
        `@net/ipc sendBytes vs Python (ratio of medians): ping-pong ${vsPython(pingPong)}x, pipelined ${vsPython(pipelined)}x`,
        `@net/ipc pickle codec vs Python pickle (ours / Python, ratio of medians): ${codec
          .map(
            ({ kind, verb, rows }) =>
              `${kind} ${verb} ${(rows[1].median / rows[0].median).toFixed(2)}x`,
          )
          .join(', ')}`,
        `each measurement ${ms} ms (BENCH_MS); clients and servers in separate processes; this machine has ${availableParallelism()} CPUs`,
      ],
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}
