// @net/hmac-auth: handshakes per second over loopback TCP, client and server in the same
// process (as the issue asks), against bare connect + accept in the same run. Target:
// authentication adds < 50% to connection setup, i.e. a rate >= 0.67x of the baseline.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import {
  answerChallenge,
  clientAuthenticate,
  deliverChallenge,
  serverAuthenticate,
} from '@net/hmac-auth';
import { compare, table } from '../lib/compare.mjs';

export const description =
  'connect + HMAC handshake (recipe, mutual, multiprocessing) vs bare TCP connect + accept';

const KEY = Buffer.from('bench-secret-key-0123456789abcdef');
const MAX_CONNECTIONS = Number(process.env.BENCH_HMAC_CONNECTIONS ?? 20_000);
const MAX_MS = Number(process.env.BENCH_HMAC_MS ?? 500);
const CONCURRENCY = 8;

/**
 * What a user might write instead: the recipe's exchange with bare 'data' handlers, without
 * timeouts, limits, cancellation or typed errors. Shows the cost of the extra round trip itself.
 */
function readBytes(socket, n) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let length = 0;
    const onData = (chunk) => {
      parts.push(chunk);
      length += chunk.byteLength;
      if (length < n) return;
      socket.off('data', onData).off('end', onEnd).pause();
      const all = Buffer.concat(parts, length);
      if (length > n) socket.unshift(all.subarray(n));
      resolve(all.subarray(0, n));
    };
    const onEnd = () => reject(new Error('connection closed during the handshake'));
    socket.on('data', onData).on('end', onEnd).resume();
  });
}

/** Each mode: what the server does with a new connection and what the client does after connecting. */
const MODES = {
  bare: { server: async () => undefined, client: async () => undefined },
  handWritten: {
    server: async (socket) => {
      const challenge = randomBytes(32);
      socket.write(challenge);
      const digest = await readBytes(socket, 32);
      const expected = createHmac('sha256', KEY).update(challenge).digest();
      if (!timingSafeEqual(digest, expected)) throw new Error('hand-written handshake refused');
    },
    client: async (socket) => {
      const challenge = await readBytes(socket, 32);
      socket.write(createHmac('sha256', KEY).update(challenge).digest());
    },
  },
  recipe: {
    server: async (socket) => {
      if (!(await serverAuthenticate(socket, KEY))) throw new Error('recipe handshake refused');
    },
    client: (socket) => clientAuthenticate(socket, KEY),
  },
  mutual: {
    server: async (socket) => {
      if (!(await serverAuthenticate(socket, KEY, { mutual: true }))) {
        throw new Error('mutual handshake refused');
      }
    },
    client: (socket) => clientAuthenticate(socket, KEY, { mutual: true }),
  },
  multiprocessing: {
    server: async (socket) => {
      await deliverChallenge(socket, KEY);
      await answerChallenge(socket, KEY);
    },
    client: async (socket) => {
      await answerChallenge(socket, KEY);
      await deliverChallenge(socket, KEY);
    },
  },
};

export async function run({ rounds }) {
  let mode = MODES.bare;
  let serverFailures = 0;
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    mode.server(socket).then(
      () => socket.destroy(),
      () => {
        serverFailures++;
        socket.destroy();
      },
    );
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 });
  await once(server, 'listening');
  const { port } = server.address();

  /** One connection: connect, the client's part, then wait for the server to close it. */
  async function oneConnection() {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    socket.on('error', () => undefined);
    const closed = once(socket, 'close');
    await once(socket, 'connect');
    await mode.client(socket);
    socket.resume(); // a handshake leaves the socket paused; flow to see the server's FIN
    await closed;
  }

  /** Connections per second, CONCURRENCY at a time, bounded by count and by time. */
  async function measure(name) {
    mode = MODES[name];
    let started = 0;
    let completed = 0;
    const start = performance.now();
    const worker = async () => {
      while (started < MAX_CONNECTIONS && performance.now() - start < MAX_MS) {
        started++;
        await oneConnection();
        completed++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - start) / 1000;
    if (serverFailures > 0) throw new Error(`${serverFailures} server handshakes failed`);
    return completed / seconds;
  }

  try {
    const rows = await compare({
      baseline: {
        label: 'baseline: bare TCP connect + accept + close',
        run: () => measure('bare'),
      },
      candidates: [
        {
          label: "reference: hand-written recipe handshake ('data' handlers, no timeout or limits)",
          run: () => measure('handWritten'),
        },
        {
          label: 'connect + recipe handshake (HMAC-SHA256, 32-byte challenge)',
          run: () => measure('recipe'),
        },
        { label: 'connect + recipe handshake, mutual', run: () => measure('mutual') },
        {
          label: 'connect + multiprocessing handshake (both directions, {sha256})',
          run: () => measure('multiprocessing'),
        },
      ],
      rounds,
    });
    return {
      title: `hmac-auth: handshakes per second over loopback TCP, ${CONCURRENCY} connections in flight, client and server in one process, ${rounds} rounds`,
      table: table(rows, 'handshakes/s'),
      notes: [
        `Each measurement runs until ${MAX_CONNECTIONS} connections or ${MAX_MS} ms, whichever comes first; a connection counts once the client has finished its part and seen the server close.`,
        'Client and server share one process and event loop, so every row measures the CPU cost of both ends; the issue target is a ratio >= 0.67x (authentication adds < 50% to connection setup).',
      ],
    };
  } finally {
    server.close();
  }
}
