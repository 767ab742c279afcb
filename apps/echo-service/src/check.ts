/**
 * `check`: a client of every endpoint, built from our own packages, and the table of results
 * (endpoint, result, latency or throughput).
 */
import { randomBytes } from 'node:crypto';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { connectForBulk, recvArray, sendArray } from '@net/bulk-transfer';
import { clientAuthenticate } from '@net/hmac-auth';
import { Session } from '@net/http-client';
import { connect as ipcConnect } from '@net/ipc';
import { createStreamReader } from '@net/stream-reader';
import { connectTls, toTlsError } from '@net/tls';
import { udpRequest } from '@net/udp-server';
import { ENDPOINTS, type Endpoint, type Ports } from './config.js';
import { describe } from './tcp.js';

/** Options of {@link runCheck}. */
export interface CheckOptions {
  host: string;
  ports: Ports;
  key: Uint8Array;
  /** PEM of the CA that signed the tls endpoint's certificate. */
  ca: string;
  /** Client certificate for a tls endpoint that requires one. */
  clientCert?: { cert: string; key: string } | undefined;
  /** Bytes of the bulk round trip (default 1 GiB). */
  bulkBytes: number;
  /** ms each check may take (the bulk check: per 64 MiB, at least this). */
  timeout: number;
  /** Called with (done, total) bytes during the bulk round trip. */
  onBulkProgress?: ((done: number, total: number) => void) | undefined;
}

/** One row of the table. */
export interface CheckResult {
  endpoint: Endpoint;
  ok: boolean;
  /** `'ok'` or the error (`code: message`). */
  result: string;
  /** `'1.2 ms'` or `'850 MB/s'`. */
  figure: string;
}

/** Defaults of {@link CheckOptions}. */
export const CHECK_DEFAULTS = { bulkBytes: 1_073_741_824, timeout: 10_000 } as const;

const ms = (start: bigint): string =>
  `${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms`;

async function withTimeout<T>(what: string, timeout: number, run: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${timeout} ms`)), timeout);
  });
  try {
    return await Promise.race([run, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function connectTcp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

async function echoOver(socket: Socket | import('node:tls').TLSSocket, payload: Uint8Array) {
  const reader = createStreamReader(socket);
  socket.write(payload);
  const back = await reader.readExactly(payload.byteLength, { timeout: 5_000 });
  if (!Buffer.from(back).equals(Buffer.from(payload)))
    throw new Error('echo differs from what was sent');
}

async function checkTcp(o: CheckOptions): Promise<string> {
  const socket = await connectTcp(o.host, o.ports.tcp);
  try {
    const start = process.hrtime.bigint();
    await clientAuthenticate(socket, o.key, { timeout: 5_000 });
    await echoOver(socket, randomBytes(1024));
    return ms(start);
  } finally {
    socket.destroy();
  }
}

/**
 * The name the tls check verifies: a host name as given (a real certificate behind a load
 * balancer); loopback addresses as given; any other address `localhost`, the name the dev
 * certificates carry.
 */
export function tlsName(host: string): string {
  if (isIP(host) === 0) return host;
  return host === '127.0.0.1' || host === '::1' ? host : 'localhost';
}

async function checkTls(o: CheckOptions): Promise<string> {
  const start = process.hrtime.bigint();
  const socket = await connectTls({
    host: o.host,
    port: o.ports.tls,
    ca: o.ca,
    servername: tlsName(o.host),
    ...(o.clientCert ?? {}),
    session: false,
  });
  // TLS 1.3: a server that refuses our client certificate says so after the handshake,
  // as the connection's first error; report that rather than the EOF that follows it.
  let socketError: unknown;
  socket.once('error', (error) => {
    socketError = error;
  });
  try {
    await echoOver(socket, randomBytes(1024));
    return ms(start);
  } catch (error) {
    throw socketError === undefined ? error : toTlsError(socketError);
  } finally {
    socket.destroy();
  }
}

async function checkUdp(o: CheckOptions): Promise<string> {
  const payload = randomBytes(512);
  const start = process.hrtime.bigint();
  const back = await udpRequest({ host: o.host, port: o.ports.udp }, payload, {
    timeout: 1_000,
    retries: 2,
  });
  if (!Buffer.from(back).equals(payload)) throw new Error('echo differs from what was sent');
  return ms(start);
}

async function checkTime(o: CheckOptions): Promise<string> {
  const start = process.hrtime.bigint();
  const back = await udpRequest({ host: o.host, port: o.ports.time }, new Uint8Array(), {
    timeout: 1_000,
    retries: 2,
  });
  const text = Buffer.from(back).toString('ascii');
  if (!/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/.test(text)) {
    throw new Error(`not a time.ctime() string: ${JSON.stringify(text)}`);
  }
  return ms(start);
}

async function checkHttp(o: CheckOptions): Promise<string> {
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const session = new Session({ baseUrl: `http://${host}:${o.ports.http}`, timeout: 5_000 });
  try {
    const start = process.hrtime.bigint();
    const health = await session.get('/health');
    if (health.statusCode !== 200 || (health.json() as { status?: string }).status !== 'ok') {
      throw new Error(`/health answered ${health.statusCode}`);
    }
    const head = await session.head('/');
    for (const name of ['content-type', 'content-length', 'last-modified']) {
      if (head.header(name) === undefined) throw new Error(`HEAD / lacks ${name}`);
    }
    const body = randomBytes(4096);
    const echo = await session.post('/echo', {
      data: body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (!Buffer.from(echo.content).equals(body)) {
      throw new Error('POST /echo did not return the body');
    }
    if (echo.header('content-type') !== 'application/octet-stream') {
      throw new Error(
        `POST /echo answered as ${echo.header('content-type')}, not application/octet-stream`,
      );
    }
    if (echo.header('x-content-type-options') !== 'nosniff') {
      throw new Error('POST /echo lacks X-Content-Type-Options: nosniff');
    }
    const stats = await session.get('/stats');
    if (typeof (stats.json() as { endpoints?: unknown }).endpoints !== 'object') {
      throw new Error('/stats has no endpoints');
    }
    const metrics = await session.get('/metrics');
    if (
      metrics.statusCode !== 200 ||
      !metrics.text.includes('net_echo_connections_accepted_total')
    ) {
      throw new Error(`/metrics answered ${metrics.statusCode} without net_echo_ metrics`);
    }
    return ms(start);
  } finally {
    await session.close();
  }
}

async function checkBulk(o: CheckOptions): Promise<string> {
  const count = Math.max(1, Math.floor(o.bulkBytes / 4));
  const array = new Uint32Array(count);
  for (let i = 0; i < count; i++) array[i] = i;
  const receiver = await connectForBulk({ host: o.host, port: o.ports.bulk });
  try {
    const start = process.hrtime.bigint();
    const total = array.byteLength * 2;
    const sent = await sendArray(receiver, array, {
      progress: (done) => o.onBulkProgress?.(done, total),
    });
    const back = await recvArray(receiver, {
      maxBytes: array.byteLength,
      buffer: array.buffer,
      progress: (done) => o.onBulkProgress?.(sent + done, total),
    });
    if (back === null) throw new Error('the bulk endpoint closed without echoing the array');
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const got = back.array as Uint32Array;
    if (back.dtype !== 'uint32' || got.length !== count) throw new Error('wrong array back');
    for (let i = 0; i < count; i++) {
      if (got[i] !== i) throw new Error(`element ${i} differs`);
    }
    return `${(total / 1e6 / seconds).toFixed(0)} MB/s (${formatBytes(array.byteLength)} each way)`;
  } finally {
    receiver.socket.destroy();
  }
}

/** What recipe 11.7's client sends with `c.send(...)`. */
const RECIPE_OBJECTS = ['hello', 42, [1, 2, 3, 4, 5]];

async function checkIpc(o: CheckOptions): Promise<string> {
  const start = process.hrtime.bigint();
  const conn = await ipcConnect({
    host: o.host,
    port: o.ports.ipc,
    authkey: o.key,
    handshakeTimeout: 5_000,
    codec: 'pickle',
  });
  try {
    const payload = randomBytes(4096);
    await conn.sendBytes(payload);
    const back = await conn.recvBytes({ timeout: 5_000 });
    if (!Buffer.from(back).equals(payload)) throw new Error('echo differs from what was sent');
    // Recipe 11.7's objects, as Python's conn.send() pickles them; the endpoint echoes bytes.
    for (const value of RECIPE_OBJECTS) {
      await conn.send(value);
      const echoed = await conn.recv({ timeout: 5_000 });
      if (!isDeepStrictEqual(echoed, value)) {
        throw new Error(`echo of ${JSON.stringify(value)} differs: ${JSON.stringify(echoed)}`);
      }
    }
    return ms(start);
  } finally {
    conn.destroy();
  }
}

const CHECKS: Record<Endpoint, (o: CheckOptions) => Promise<string>> = {
  tcp: checkTcp,
  tls: checkTls,
  udp: checkUdp,
  time: checkTime,
  http: checkHttp,
  bulk: checkBulk,
  ipc: checkIpc,
};

/** Runs every endpoint's check, one after the other. */
export async function runCheck(options: CheckOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const endpoint of ENDPOINTS) {
    const timeout =
      endpoint === 'bulk'
        ? Math.max(options.timeout, Math.ceil(options.bulkBytes / 67_108_864) * options.timeout)
        : options.timeout;
    try {
      const figure = await withTimeout(endpoint, timeout, CHECKS[endpoint](options));
      results.push({ endpoint, ok: true, result: 'ok', figure });
    } catch (error) {
      results.push({ endpoint, ok: false, result: `FAIL ${describe(error)}`, figure: '-' });
    }
  }
  return results;
}

/** The results as a plain-text table. */
export function formatTable(results: CheckResult[]): string {
  const rows = [
    ['endpoint', 'result', 'latency / throughput'],
    ...results.map((r) => [r.endpoint, r.result, r.figure]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(rows[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

/** `1 GiB`, `64 MiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A progress bar on stderr (only when stderr is a terminal, else one line per 10%). */
export function progressBar(label: string): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const fraction = total === 0 ? 1 : done / total;
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0)}%${fraction >= 1 ? '\n' : ''}`,
      );
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      process.stderr.write(`${label} ${tenth * 10}%\n`);
    }
  };
}
