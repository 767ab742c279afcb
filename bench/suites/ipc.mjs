// @net/ipc: message ping-pong over one connection (64 B) against a bare unframed Node echo
// (both ends bare net sockets: the floor of the transport), and pipelined messages against
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
import { compare, median, pairedRatio, table } from '../lib/compare.mjs';
import { processCpuSeconds } from '../lib/server-process.mjs';

export const description =
  'ping-pong 64 B messages vs a bare unframed Node echo, pipelined vs child_process send() and Python multiprocessing; spawnWorkers 2 vs 1; decodePickle / encodePickle vs Python pickle.loads / dumps (131072 floats, 10,000-entry dict)';

const run$ = promisify(execFile);
const lib = (name) => fileURLToPath(new URL(`../lib/${name}`, import.meta.url));
const SIZE = 64;
/** The pickle workloads: bench/lib/pickle-codec.py writes each once, both sides read it. */
const PICKLES = [
  { kind: 'floats', what: 'list of 131072 floats (1 MiB of doubles)' },
  { kind: 'dict', what: "dict of 10,000 str → int ('key0': 0 … 'key9999': 69993)" },
];

/** Starts a server process that prints "PORT <n>"; returns the port, its pid and a stopper. */
async function server(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = await once(lines, 'line');
  return { port: line.split(' ')[1], pid: child.pid, stop: () => child.kill() };
}

/** Runs one load generator process; returns its rate (its "<trips> <ns>" as trips/s). */
async function rate(command, args) {
  const { stdout } = await run$(command, args, { timeout: 60_000 });
  const [trips, ns] = stdout.trim().split(' ').map(Number);
  return trips / (ns / 1e9);
}

/**
 * Client CPU µs per round trip of each measured case (label -> samples), from the third
 * field of bench/lib/ipc-client.mjs's output, for the notes.
 */
const clientCpu = new Map();

/**
 * Like {@link rate}, plus the server's CPU time during the run, for compare()'s CPU
 * efficiency: that of the server process `pid` (from /proc, over the client's whole life, so
 * it also counts the connect, handshake and 200 warm-up round trips: about 1% of a 1 s run),
 * or, without `pid`, the echo child's that the client reports itself (`child` mode). The client's own CPU per round
 * trip, when it reports it, goes to {@link clientCpu} under `label`.
 */
async function measured(label, command, args, pid = undefined) {
  const before = pid === undefined ? 0 : processCpuSeconds(pid);
  const { stdout } = await run$(command, args, { timeout: 60_000 });
  const after = pid === undefined ? 0 : processCpuSeconds(pid);
  const [trips, ns, clientUs, childUs] = stdout.trim().split(' ').map(Number);
  if (clientUs !== undefined) {
    if (!clientCpu.has(label)) clientCpu.set(label, []);
    clientCpu.get(label).push(clientUs / trips);
  }
  const cpu = pid === undefined ? childUs / 1e6 : after - before;
  return { rate: trips / (ns / 1e9), work: trips, cpu };
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
    const awaiting = await server(node, [lib('ipc-echo.mjs'), 'await']);
    stops.push(awaiting.stop);
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
    const args = (port, window, ...rest) => [
      client,
      'ipc',
      port,
      key,
      String(SIZE),
      ms,
      String(window),
      ...rest,
    ];
    const labels = {
      bare: `baseline: bare unframed Node echo, net 'data' → write on both ends (${SIZE} B)`,
      tcp: '@net/ipc sendBytes / recvBytes (TCP)',
      unix: '@net/ipc sendBytes / recvBytes (Unix socket, like child_process)',
      values: `@net/ipc send / recv of a ${SIZE}-char string (TCP, V8 serialization)`,
      child: `child_process send() / process.send() echo (${SIZE}-char string)`,
      python: 'Python 3.11 multiprocessing.connection, Client ↔ Listener (send_bytes)',
      awaiting: `reference: bare unframed echo in a promise API's style, one awaited receive and send per message on both ends (${SIZE} B)`,
    };
    // Client CPU samples are keyed by label and window (the same rows run in both tables).
    const ourRows = (window) => [
      {
        label: labels.tcp,
        run: () => measured(`${labels.tcp} ${window}`, node, args(ours.port, window), ours.pid),
      },
      {
        label: labels.unix,
        run: () =>
          measured(`${labels.unix} ${window}`, node, args(oursUnix.port, window), oursUnix.pid),
      },
      {
        label: labels.values,
        run: () =>
          measured(`${labels.values} ${window}`, node, args(ours.port, window, 'values'), ours.pid),
      },
    ];
    const childRow = (window, label) => ({
      label,
      run: () =>
        measured(`${labels.child} ${window}`, node, [
          client,
          'child',
          String(SIZE),
          ms,
          String(window),
        ]),
    });
    const pythonRow = (window, label) => ({
      label,
      run: () =>
        measured(
          `${labels.python} ${window}`,
          'python3',
          [lib('ipc-pingpong.py'), 'client', python.port, key, String(SIZE), ms, String(window)],
          python.pid,
        ),
    });
    // Ping-pong: the target is the transport's floor, a bare echo with no framing on either
    // end, so every @net/ipc ratio here is the whole per-message cost of the framing layer.
    const pingPong = await compare({
      baseline: {
        label: labels.bare,
        run: () =>
          measured(
            `${labels.bare} 1`,
            node,
            [client, 'tcp', raw.port, '1', String(SIZE), ms],
            raw.pid,
          ),
      },
      candidates: [
        ...ourRows(1),
        {
          // The same loops as @net/ipc's echo and client, minus framing, limits and errors:
          // what the promise style costs by itself, so ours / this is the framing layer's.
          label: labels.awaiting,
          run: () =>
            measured(
              `${labels.awaiting} 1`,
              node,
              [client, 'await', awaiting.port, String(SIZE), ms, '1'],
              awaiting.pid,
            ),
        },
        childRow(1, `reference: ${labels.child}`),
        pythonRow(1, `reference: ${labels.python}`),
      ],
      rounds,
    });
    const pipelined = await compare({
      baseline: childRow(64, `baseline: ${labels.child}`),
      candidates: [pythonRow(64, `reference: ${labels.python}`), ...ourRows(64)],
      rounds,
    });
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
    const row = (rows, prefix) => rows.find((r) => r.label.startsWith(prefix));
    const framing = pairedRatio(row(pingPong, labels.tcp), row(pingPong, labels.awaiting));
    const vsPython = (rows) =>
      (row(rows, labels.tcp).median / row(rows, 'reference: Python').median).toFixed(2);
    const usPerTrip = (label) => {
      const samples = clientCpu.get(`${label} 1`);
      return samples === undefined ? '–' : `${median(samples).toFixed(1)} µs`;
    };
    const serverUs = (r) =>
      r.efficiency === undefined ? '–' : `${(1e6 / r.efficiency).toFixed(1)} µs`;
    return {
      title: 'ipc: 64-byte messages over one connection; spawnWorkers echo; pickle codec',
      table: [
        'Ping-pong (one message in flight), round trips/s, against the bare unframed echo (the target: @net/ipc TCP ≥ 0.95x):',
        '',
        table(pingPong, 'round trips/s', 'round trips'),
        '',
        'Pipelined (64 messages in flight), messages/s:',
        '',
        table(pipelined, 'messages/s', 'messages'),
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
        `ping-pong, @net/ipc sendBytes (TCP) vs the bare unframed echo, median of paired rounds: ${row(pingPong, labels.tcp).ratio.toFixed(2)}x (target 0.95x); pipelined (64 in flight) vs Python, ratio of medians: ${vsPython(pipelined)}x (target 1.5x)`,
        `ping-pong, @net/ipc sendBytes (TCP) vs the unframed echo in the same promise style (the framing layer alone), median of paired rounds: ${framing.ratio.toFixed(2)}x in round trips/s, ${framing.efficiencyRatio?.toFixed(2) ?? '–'}x in server CPU efficiency; that echo vs the bare callback echo (the promise style alone): ${row(pingPong, labels.awaiting).ratio.toFixed(2)}x`,
        `@net/ipc sendBytes vs Python (ratio of medians): ping-pong ${vsPython(pingPong)}x, pipelined ${vsPython(pipelined)}x`,
        `ping-pong CPU per round trip (medians), server / client: bare echo ${serverUs(pingPong[0])} / ${usPerTrip(labels.bare)}, @net/ipc TCP ${serverUs(row(pingPong, labels.tcp))} / ${usPerTrip(labels.tcp)}, @net/ipc Unix ${serverUs(row(pingPong, labels.unix))} / ${usPerTrip(labels.unix)}, promise-style unframed echo ${serverUs(row(pingPong, labels.awaiting))} / ${usPerTrip(labels.awaiting)}; the server is the echo process, the client the load generator (both in their own processes, CPU-seconds of /proc/<pid>/stat and process.cpuUsage(); /proc counts 10 ms ticks)`,
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
