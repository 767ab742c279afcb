/**
 * The connection lifecycle through the CLI: silent clients cannot starve any stream
 * endpoint (tcp, tls, bulk, ipc), `--max-connections` holds exactly at its boundary on
 * each of them (service-wide with `--workers`), and a flood of silent connections far over
 * the limit is bounded, timed out, and leaves every endpoint serving.
 */
import { createSocket } from 'node:dgram';
import { readdir } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { getJson, numpyPython, python, type Served, serve } from './helpers.js';

const STREAM_ENDPOINTS = ['tcp', 'tls', 'bulk', 'ipc'] as const;
type StreamEndpoint = (typeof STREAM_ENDPOINTS)[number];

/** A client socket that never sends anything, and whether the server has closed it. */
interface SilentClient {
  socket: Socket;
  closed: boolean;
}

/** Opens `count` connections to `port` that send nothing; resolves once all are connected. */
async function openSilent(port: number, count: number): Promise<SilentClient[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<SilentClient>((resolve, reject) => {
          const client: SilentClient = { socket: connect(port, '127.0.0.1'), closed: false };
          client.socket.on('data', () => {}); // the tcp and ipc challenges: never answered
          client.socket.on('error', () => {}); // a reset by the server is one way to close
          client.socket.once('close', () => {
            client.closed = true;
          });
          client.socket.once('connect', () => resolve(client));
          client.socket.once('error', reject);
        }),
    ),
  );
}

/** Resolves true once `client` is closed by the server, false if still open after `ms`. */
async function closedWithin(client: SilentClient, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!client.closed && Date.now() < until) await sleep(20);
  return client.closed;
}

/** Polls /stats until `done(endpoints)` holds; at most `ms`, then returns what it last read. */
// biome-ignore lint/suspicious/noExplicitAny: /stats is arbitrary JSON
async function statsWhen(s: Served, done: (e: any) => boolean, ms = 10_000): Promise<any> {
  const until = Date.now() + ms;
  for (;;) {
    const stats = await getJson(s.ready.ports.http, '/stats');
    if (done(stats.endpoints) || Date.now() > until) return stats.endpoints;
  }
}

/** Open file descriptors of a process. */
async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** Sends one datagram to the udp echo and resolves with the answer (rejects after 3 s). */
function udpEcho(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no udp answer in 3 s'));
    }, 3_000);
    socket.once('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message.toString());
    });
    socket.send(text, port, '127.0.0.1');
  });
}

/** The real clients of every stream endpoint; each must exit 0. */
async function realClients(s: Served, only: readonly StreamEndpoint[] = STREAM_ENDPOINTS) {
  const { ports, caCert, secretFile } = s.ready;
  const runs: Record<StreamEndpoint, () => ReturnType<typeof python>> = {
    tcp: () => python('tcp_client.py', [ports.tcp, secretFile!]),
    tls: () => python('tls_client.py', [ports.tls, caCert, 'localhost']),
    bulk: () => numpyPython('bulk_client.py', [ports.bulk]),
    ipc: () => python('ipc_client.py', [ports.ipc, secretFile!]),
  };
  const results = await Promise.all(only.map((name) => runs[name]()));
  results.forEach((r, i) => {
    expect(r.code, `${only[i]} client: ${r.stdout}${r.stderr}`).toBe(0);
  });
}

/** Deadlines long enough that silent clients stay held for the whole test. */
const LONG_DEADLINES = [
  '--handshake-timeout',
  '30000',
  '--auth-timeout',
  '30000',
  '--idle-timeout',
  '30000',
];

let opened: SilentClient[] = [];
let served: Served | undefined;
afterEach(async () => {
  for (const client of opened) client.socket.destroy();
  opened = [];
  await served?.stop();
  served = undefined;
});

async function start(flags: string[]): Promise<Served> {
  served = await serve(flags);
  return served;
}

async function hold(port: number, count: number): Promise<SilentClient[]> {
  const clients = await openSilent(port, count);
  opened.push(...clients);
  return clients;
}

describe('connection lifecycle through the CLI', () => {
  it('serves real clients on every stream endpoint while silent clients are held on all of them', async () => {
    const s = await start(LONG_DEADLINES);
    const silent = 12; // over the bulk endpoint's former fixed cap of 4 connections
    const held = (
      await Promise.all(STREAM_ENDPOINTS.map((name) => hold(s.ready.ports[name], silent)))
    ).flat();
    const during = await statsWhen(s, (e) => STREAM_ENDPOINTS.every((n) => e[n].active >= silent));
    for (const name of STREAM_ENDPOINTS) expect(during[name].active, name).toBe(silent);

    await realClients(s);

    expect(held.filter((c) => c.closed)).toEqual([]);
    const after = await statsWhen(s, (e) => STREAM_ENDPOINTS.every((n) => e[n].messages >= 1));
    for (const name of STREAM_ENDPOINTS) {
      expect(after[name].messages, name).toBeGreaterThanOrEqual(1);
      expect(after[name].refused, name).toBe(0);
    }
  }, 60_000);

  it('holds --max-connections exactly on every stream endpoint: N held, N+1 refused', async () => {
    const max = 5;
    const s = await start(['--max-connections', String(max), ...LONG_DEADLINES]);
    const held = new Map<StreamEndpoint, SilentClient[]>();
    for (const name of STREAM_ENDPOINTS) held.set(name, await hold(s.ready.ports[name], max));
    const full = await statsWhen(s, (e) => STREAM_ENDPOINTS.every((n) => e[n].active === max));
    for (const name of STREAM_ENDPOINTS) expect(full[name].active, name).toBe(max);

    for (const name of STREAM_ENDPOINTS) {
      const [extra] = await hold(s.ready.ports[name], 1);
      expect(await closedWithin(extra!, 5_000), `${name}: connection ${max + 1} closed`).toBe(true);
    }
    const refused = await statsWhen(s, (e) => STREAM_ENDPOINTS.every((n) => e[n].refused >= 1));
    for (const name of STREAM_ENDPOINTS) {
      expect(refused[name].refused, name).toBe(1);
      expect(refused[name].active, name).toBe(max);
      expect(
        held.get(name)!.filter((c) => c.closed),
        name,
      ).toEqual([]);
    }

    // One slot freed: the next connection is accepted again.
    for (const name of STREAM_ENDPOINTS) {
      const [first] = held.get(name)!;
      first!.socket.destroy();
    }
    await statsWhen(s, (e) => STREAM_ENDPOINTS.every((n) => e[n].active === max - 1));
    for (const name of STREAM_ENDPOINTS) {
      const [again] = await hold(s.ready.ports[name], 1);
      expect(await closedWithin(again!, 500), `${name}: accepted once a slot is free`).toBe(false);
    }
    const last = await statsWhen(s, (e) => STREAM_ENDPOINTS.every((n) => e[n].active === max));
    for (const name of STREAM_ENDPOINTS) {
      expect(last[name].active, name).toBe(max);
      expect(last[name].refused, name).toBe(1);
    }
  }, 60_000);

  it('with --workers, --max-connections is service-wide on tcp: N held, N+1 refused', async () => {
    const max = 4;
    const s = await start(['--workers', '2', '--max-connections', String(max), ...LONG_DEADLINES]);
    const held = await hold(s.ready.ports.tcp, max);
    const full = await statsWhen(s, (e) => e.tcp.active === max);
    expect(full.tcp.active).toBe(max);
    const [extra] = await hold(s.ready.ports.tcp, 1);
    expect(await closedWithin(extra!, 5_000), `connection ${max + 1} closed`).toBe(true);
    const after = await statsWhen(s, (e) => e.tcp.refused >= 1);
    expect(after.tcp.refused).toBe(1);
    expect(after.tcp.active).toBe(max);
    expect(held.filter((c) => c.closed)).toEqual([]);
  }, 60_000);

  it('a flood of silent connections far over --max-connections is bounded, timed out, and starves nothing', async () => {
    const max = 50;
    const flooded = ['tls', 'ipc', 'bulk'] as const;
    const floodSize = 300;
    // Long enough for the checks below to run while the flood is held, on a loaded machine.
    const deadline = 5_000;
    const s = await start([
      '--max-connections',
      String(max),
      '--handshake-timeout',
      String(deadline),
      '--auth-timeout',
      String(deadline),
      '--idle-timeout',
      '60000',
    ]);
    const fdsBefore = await openFds(s.ready.pid);
    const flood = (
      await Promise.all(flooded.map((name) => hold(s.ready.ports[name], floodSize)))
    ).flat();
    const full = await statsWhen(s, (e) => flooded.every((n) => e[n].accepted === floodSize));
    for (const name of flooded) {
      expect(full[name].active, name).toBe(max);
      expect(full[name].refused, name).toBe(floodSize - max);
    }
    // Each flooded endpoint holds `max` sockets; the rest were closed at accept.
    expect((await openFds(s.ready.pid)) - fdsBefore).toBeLessThanOrEqual(flooded.length * max + 20);

    // The other endpoints serve while the flood is held ...
    const tcp = await python('tcp_client.py', [s.ready.ports.tcp, s.ready.secretFile!]);
    expect(tcp.code, tcp.stderr).toBe(0);
    expect(await udpEcho(s.ready.ports.udp, 'still here')).toBe('still here');
    const health = await fetch(`http://127.0.0.1:${s.ready.ports.http}/health`);
    expect(health.status).toBe(200);
    // ... which it still was after those checks.
    const held = await getJson(s.ready.ports.http, '/stats');
    for (const name of flooded) expect(held.endpoints[name].active, name).toBe(max);

    // Every silent connection is closed by its first-phase deadline ...
    const allClosed = Date.now() + deadline + 10_000;
    while (flood.some((c) => !c.closed) && Date.now() < allClosed) await sleep(50);
    expect(flood.filter((c) => !c.closed).length).toBe(0);
    const after = await statsWhen(s, (e) => flooded.every((n) => e[n].active === 0));
    for (const name of flooded) {
      expect(after[name].active, name).toBe(0);
      expect(after[name].accepted, name).toBe(floodSize); // refused ones included
      expect(after[name].refused, name).toBe(floodSize - max);
      expect(after[name].failed, name).toBe(max); // each held one timed out
      expect(after[name].detail.timeouts, name).toBe(max);
    }
    // ... and the flooded endpoints serve again.
    await realClients(s, ['tls', 'ipc', 'bulk']);
  }, 90_000);
});
