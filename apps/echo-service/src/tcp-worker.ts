/**
 * A tcp worker process (`--workers N`): `@net/ipc`'s `spawnWorkers` forks this module and
 * passes it accepted sockets; it serves them with the same handler as the primary. The
 * primary hands the secret and limits over in the environment, never in argv.
 */
import { serveWorker } from '@net/ipc';
import { log, WORKER_ENV, type WorkerSettings } from './config.js';
import { createCounters } from './stats.js';
import { createTcpHandler, describe } from './tcp.js';

const raw = process.env[WORKER_ENV];
if (raw !== undefined) {
  const settings = JSON.parse(raw) as WorkerSettings;
  delete process.env[WORKER_ENV];
  const counters = createCounters();
  serveWorker(
    createTcpHandler({
      key: Buffer.from(settings.keyHex, 'hex'),
      authTimeout: settings.authTimeout,
      counters,
    }),
    {
      idleTimeout: settings.idleTimeout,
      maxConnections: settings.maxConnections,
      onError: (error, _conn, source) =>
        log(`tcp worker ${process.pid} ${source} error: ${describe(error)}`),
    },
  );
}
