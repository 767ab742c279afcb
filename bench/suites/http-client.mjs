// @net/http-client: GET requests of a 1 KiB body, 50 in flight, against a keep-alive
// node:http server in another process. Baseline: undici Pool.request; in the same run:
// global fetch, node:http with a keep-alive agent, axios, got and ours. Target >= 0.95x. The
// clients run in this process, so each row's CPU efficiency is requests per client CPU-second.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { connect } from 'node:net';
import { Session } from '@net/http-client';
import axios from 'axios';
import { got } from 'got';
import { Pool } from 'undici';
import { compare, table } from '../lib/compare.mjs';
import { requestsPerSecond } from '../lib/http-load.mjs';

export const description =
  'GET 1 KiB, 50 in flight: undici Pool.request vs fetch, node:http, axios, got and @net/http-client';

const REQUESTS = Number(process.env.BENCH_HTTP_REQUESTS ?? 20_000);
const MAX_MS = Number(process.env.BENCH_HTTP_MS ?? 4_000); // bound per measurement
const CONCURRENCY = 50;
const SIZE = 1024;

export async function run({ rounds }) {
  const server = fork(new URL('../lib/http-client-server.mjs', import.meta.url), {
    stdio: 'inherit',
  });
  const [{ port }] = await once(server, 'message');
  const origin = `http://127.0.0.1:${port}`;
  const url = `${origin}/data`;

  const pool = new Pool(origin);
  const session = new Session();
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const axiosClient = axios.create({ httpAgent: agent, responseType: 'arraybuffer' });
  const gotClient = got.extend({
    agent: { http: agent },
    responseType: 'buffer',
    retry: { limit: 0 },
  });

  let checked = 0;
  const check = (length) => {
    if (length !== SIZE) throw new Error(`expected a ${SIZE}-byte body, got ${length}`);
    checked++;
  };

  const measure = (one) =>
    requestsPerSecond(one, { concurrency: CONCURRENCY, requests: REQUESTS, maxMs: MAX_MS, check });

  const nodeHttpGet = () =>
    new Promise((resolve, reject) => {
      http
        .get(url, { agent }, (res) => {
          const chunks = [];
          let length = 0;
          res.on('data', (chunk) => {
            chunks.push(chunk);
            length += chunk.length;
          });
          res.on('end', () => resolve(Buffer.concat(chunks, length).length));
          res.on('error', reject);
        })
        .on('error', reject);
    });

  /** Load check: raw sockets writing a minimal request and counting fixed-size responses. */
  const probe = await rawResponseSize(port);
  const rawLoad = async () => {
    const sockets = await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        const socket = connect({ port, host: '127.0.0.1', noDelay: true });
        socket.on('error', () => undefined);
        await once(socket, 'connect');
        return socket;
      }),
    );
    const request = Buffer.from(`GET /data HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
    let started = 0;
    let completed = 0;
    const start = performance.now();
    const deadline = start + MAX_MS;
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise((resolve) => {
            let pending = 0;
            const next = () => {
              if (started >= REQUESTS || performance.now() >= deadline) return resolve();
              started++;
              socket.write(request);
            };
            socket.on('data', (chunk) => {
              pending += chunk.length;
              while (pending >= probe) {
                pending -= probe;
                completed++;
                next();
              }
            });
            next();
          }),
      ),
    );
    const rate = completed / ((performance.now() - start) / 1000);
    for (const socket of sockets) socket.destroy();
    return rate;
  };

  try {
    const rows = await compare({
      rounds,
      baseline: {
        label: 'baseline: undici Pool.request + body.bytes()',
        run: () =>
          measure(async () => {
            const { body } = await pool.request({ path: '/data', method: 'GET' });
            return (await body.bytes()).byteLength;
          }),
      },
      candidates: [
        {
          label: '@net/http-client Session.get + content',
          run: () => measure(async () => (await session.get(url)).content.byteLength),
        },
        {
          label: 'global fetch + arrayBuffer()',
          run: () => measure(async () => (await (await fetch(url)).arrayBuffer()).byteLength),
        },
        { label: 'node:http keep-alive agent', run: () => measure(nodeHttpGet) },
        {
          label: 'axios (keep-alive agent)',
          run: () => measure(async () => (await axiosClient.get(url)).data.length),
        },
        {
          label: 'got (keep-alive agent)',
          run: () => measure(async () => (await gotClient(url)).body.length),
        },
        { label: 'load check: raw sockets, no HTTP parsing', run: rawLoad },
      ],
    });
    return {
      title: `http-client: GET of a 1 KiB body, ${CONCURRENCY} in flight, keep-alive node:http server in another process, up to ${REQUESTS} requests or ${MAX_MS} ms per measurement, ${rounds} rounds`,
      table: table(rows, 'req/s', 'requests', 'client'),
      notes: [
        'The load check row writes requests on raw sockets and counts fixed-size responses: an upper bound of what the server process delivers; a baseline well below it means the server is not the bottleneck.',
        `Bodies checked (1 KiB each): ${checked}.`,
      ],
    };
  } finally {
    await Promise.all([pool.close(), session.close()]);
    agent.destroy();
    server.disconnect();
  }
}

/** The byte size of one whole response (headers + body) from the bench server. */
async function rawResponseSize(port) {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(`GET /data HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
  let received = Buffer.alloc(0);
  for (let i = 0; i < 100; i++) {
    const [chunk] = await once(socket, 'data');
    received = Buffer.concat([received, chunk]);
    const end = received.indexOf('\r\n\r\n');
    if (end >= 0 && received.length >= end + 4 + SIZE) break;
  }
  socket.destroy();
  return received.length;
}
