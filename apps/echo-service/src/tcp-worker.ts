/**
 * A tcp worker process (`--workers N`): `@net/ipc`'s `spawnWorkers` forks this module and
 * passes it accepted sockets; it serves them with the same handler as the primary. The
 * primary hands the secret and limits over in the environment, never in argv.
 */
import { serveWorker } from '@net/ipc';
import { log, WORKER_ENV, type WorkerSettings } from './config.js';
import { createTcpHandler, tcpServerOptions } from './tcp.js';

const raw = process.env[WORKER_ENV];
if (raw !== undefined) {
  const settings = JSON.parse(raw) as WorkerSettings;
  delete process.env[WORKER_ENV];
  serveWorker(
    createTcpHandler({ key: Buffer.from(settings.keyHex, 'hex'), count: { messages: 0 } }),
    tcpServerOptions({ ...settings, log, name: `tcp worker ${process.pid}` }),
  );
}
