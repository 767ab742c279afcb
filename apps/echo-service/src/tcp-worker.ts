/**
 * A tcp worker process (`--workers N`): `@net/ipc`'s `spawnWorkers` forks this module and
 * passes it accepted sockets; it serves them with the same handler as the primary. The
 * primary hands the secret and limits over the IPC channel (`getWorkerData()`), never in
 * argv or the environment.
 */
import { getWorkerData, serveWorker } from '@net/ipc';
import type { WorkerSettings } from './config.js';
import { createLogger } from './log.js';
import { createTcpHandler, tcpServerOptions } from './tcp.js';

const settings = (await getWorkerData()) as WorkerSettings;
const logger = createLogger({ format: settings.logFormat });
serveWorker(
  createTcpHandler({ key: Buffer.from(settings.keyHex, 'hex'), count: { messages: 0 } }),
  tcpServerOptions({ ...settings, logger }),
);
