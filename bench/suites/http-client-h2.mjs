// @net/http-client over HTTP/2: GET requests of a 1 KiB body, 50 in flight on one TLS
// connection, against a node:http2 server in another process. Baseline: undici
// Pool.request with allowH2 (what `http2: true` builds on). Target >= 0.95x. The clients
// run in this process, so each row's CPU efficiency is requests per client CPU-second.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Session } from '@net/http-client';
import { Pool } from 'undici';
import { compare, table } from '../lib/compare.mjs';
import { requestsPerSecond } from '../lib/http-load.mjs';

export const description =
  'GET 1 KiB over HTTP/2 (TLS), 50 in flight: undici Pool.request with allowH2 vs @net/http-client http2: true';

const REQUESTS = Number(process.env.BENCH_HTTP_REQUESTS ?? 20_000);
const MAX_MS = Number(process.env.BENCH_HTTP_MS ?? 4_000); // bound per measurement
const CONCURRENCY = 50;
const SIZE = 1024;

export async function run({ rounds }) {
  const server = fork(new URL('../lib/http2-server.mjs', import.meta.url), { stdio: 'inherit' });
  const [{ port, ca }] = await once(server, 'message');
  const origin = `https://127.0.0.1:${port}`;
  const url = `${origin}/data`;
  const pool = new Pool(origin, { allowH2: true, connections: 1, connect: { ca } });
  const session = new Session({ http2: true, connections: 1, tls: { ca } });

  let checked = 0;
  let h2 = 0;
  const check = (length) => {
    if (length !== SIZE) throw new Error(`expected a ${SIZE}-byte body, got ${length}`);
    checked++;
  };
  const measure = (one) =>
    requestsPerSecond(one, { concurrency: CONCURRENCY, requests: REQUESTS, maxMs: MAX_MS, check });

  try {
    const rows = await compare({
      rounds,
      baseline: {
        label: 'baseline: undici Pool.request (allowH2) + body.bytes()',
        run: () =>
          measure(async () => {
            const { body } = await pool.request({ path: '/data', method: 'GET' });
            return (await body.bytes()).byteLength;
          }),
      },
      candidates: [
        {
          label: '@net/http-client Session.get (http2: true) + content',
          run: () =>
            measure(async () => {
              const response = await session.get(url);
              if (response.httpVersion === '2') h2++;
              return response.content.byteLength;
            }),
        },
      ],
    });
    if (h2 === 0) throw new Error('no response of the session came over HTTP/2');
    return {
      title: `http-client over HTTP/2: GET of a 1 KiB body, ${CONCURRENCY} in flight on one TLS connection, node:http2 server in another process, up to ${REQUESTS} requests or ${MAX_MS} ms per measurement, ${rounds} rounds`,
      table: table(rows, 'req/s', 'requests', 'client'),
      notes: [`Bodies checked (1 KiB each): ${checked}; session responses over HTTP/2: ${h2}.`],
    };
  } finally {
    await Promise.all([pool.close(), session.close()]);
    server.disconnect();
  }
}
