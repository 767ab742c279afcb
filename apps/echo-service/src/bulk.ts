/**
 * bulk endpoint: `@net/bulk-transfer`; the client sends arrays in `.npy` format and gets
 * each one back in `.npy` format. Array sizes are checked against `maxBytes` before
 * anything is allocated. After each echo, the array's CRC-32 is computed on an
 * `@net/event-loop` `WorkerPool` (reported in /stats), skipped while the loop is under pressure.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { recvArray, sendArray } from '@net/bulk-transfer';
import type { WorkerPool } from '@net/event-loop';
import type { ChecksumTask } from './checksum-task.js';
import { closeServer, listenOn } from './listen.js';
import { createCounters, type EndpointCounters } from './stats.js';
import { describe } from './tcp.js';

/** Options of {@link startBulk}. */
export interface StartBulkOptions {
  host: string;
  port: number;
  maxBytes: number;
  idleTimeout: number;
  maxConnections: number;
  closeTimeout: number;
  pool: WorkerPool;
  shed: () => boolean;
  log: (message: string) => void;
}

/** Checksums reported in /stats. */
export interface ChecksumStats {
  computed: number;
  skipped: number;
  failed: number;
  /** The latest: `{ dtype, shape, bytes, crc32 }`. */
  last: { dtype: string; shape: number[]; bytes: number; crc32: string } | null;
}

/** The running bulk endpoint. */
export interface BulkEndpoint {
  port: number;
  server: Server;
  counters: EndpointCounters;
  checksums: ChecksumStats;
  close(): Promise<void>;
}

/** Starts the bulk endpoint. */
export async function startBulk(options: StartBulkOptions): Promise<BulkEndpoint> {
  const counters = createCounters();
  const checksums: ChecksumStats = { computed: 0, skipped: 0, failed: 0, last: null };
  const sockets = new Set<Socket>();

  const checksum = (array: ArrayBufferView, dtype: string, shape: number[]): void => {
    if (options.shed()) {
      checksums.skipped++;
      return;
    }
    const task: ChecksumTask = {
      buffer: array.buffer as ArrayBuffer,
      byteOffset: array.byteOffset,
      byteLength: array.byteLength,
    };
    options.pool.run(task, { transferList: [task.buffer] }).then(
      (crc) => {
        checksums.computed++;
        checksums.last = { dtype, shape, bytes: task.byteLength, crc32: String(crc) };
      },
      () => {
        checksums.failed++;
      },
    );
  };

  const serve = async (socket: Socket): Promise<void> => {
    for (;;) {
      let received: Awaited<ReturnType<typeof recvArray>>;
      try {
        received = await recvArray(socket, { maxBytes: options.maxBytes });
      } catch (error) {
        const e = error as { code?: string; phase?: string; bytesTransferred?: number };
        // The client closed between arrays: a normal end.
        if (
          e.code === 'ERR_TRANSFER_INCOMPLETE' &&
          e.phase === 'header' &&
          e.bytesTransferred === 0
        ) {
          socket.end();
          return;
        }
        throw error;
      }
      const { array, dtype, shape } = received;
      counters.bytesIn += array.byteLength;
      const special = dtype === 'bool' || dtype === 'float16' ? { dtype } : {};
      await sendArray(socket, array, { shape, ...special });
      counters.bytesOut += array.byteLength;
      counters.messages++;
      checksum(array, dtype, shape);
    }
  };

  const server = createServer({ pauseOnConnect: true }, (socket) => {
    socket.on('error', () => {});
    counters.accepted++;
    if (sockets.size >= options.maxConnections || options.shed()) {
      counters.refused++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    counters.active++;
    socket.setTimeout(options.idleTimeout, () => socket.destroy());
    socket.once('close', () => {
      sockets.delete(socket);
      counters.active--;
    });
    serve(socket).catch((error: unknown) => {
      counters.failed++;
      options.log(`bulk: ${describe(error)}`);
      socket.destroy();
    });
  });
  server.on('error', (error) => options.log(`bulk: ${describe(error)}`));
  const port = await listenOn(server, options.port, options.host);
  return {
    port,
    server,
    counters,
    checksums,
    close: () =>
      closeServer(
        server,
        options.closeTimeout,
        () => {
          for (const socket of sockets) socket.end();
        },
        () => {
          for (const socket of sockets) socket.destroy();
        },
      ),
  };
}
