/**
 * bulk endpoint: `@net/bulk-transfer`'s `createBulkServer`; the client sends arrays in
 * `.npy` format and gets each one back in `.npy` format. The package admits each array by
 * its header against one memory budget (`--bulk-memory`) before anything is allocated,
 * and bounds the first header by `--handshake-timeout`. After each echo, the array's
 * CRC-32 is computed on an `@net/event-loop` `WorkerPool` (reported in /stats), skipped
 * while the loop is under pressure; the array keeps its share of the budget until its
 * checksum is done.
 */
import {
  type BulkArray,
  type BulkConnection,
  type BulkServer,
  createBulkServer,
} from '@net/bulk-transfer';
import type { WorkerPool } from '@net/event-loop';
import type { ChecksumTask } from './checksum-task.js';
import type { Logger } from './log.js';
import { type EndpointCounters, lifecycleCounters } from './stats.js';
import { failureLogger } from './tcp.js';

/** Options of {@link startBulk}. */
export interface StartBulkOptions {
  host: string;
  port: number;
  /** Largest array, bytes. */
  maxBytes: number;
  /** Bytes of arrays admitted at once over all connections. */
  memoryBudget: number;
  /** ms a client has to send its first array header. */
  headerTimeout: number;
  idleTimeout: number;
  maxConnections: number;
  closeTimeout: number;
  pool: WorkerPool;
  shed: () => boolean;
  logger: Logger;
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
  server: BulkServer;
  checksums: ChecksumStats;
  /** The endpoint's /stats figures, from the server's `stats()`. */
  counters(): EndpointCounters;
  close(): Promise<void>;
}

/** Starts the bulk endpoint. */
export async function startBulk(options: StartBulkOptions): Promise<BulkEndpoint> {
  const checksums: ChecksumStats = { computed: 0, skipped: 0, failed: 0, last: null };

  /** Queues the CRC-32; the array's budget share is released when the task settles. */
  const checksum = (received: BulkArray): void => {
    if (options.shed()) {
      checksums.skipped++;
      return;
    }
    const { array, dtype, shape } = received;
    const release = received.retain();
    const task: ChecksumTask = {
      buffer: array.buffer as ArrayBuffer,
      byteOffset: array.byteOffset,
      byteLength: array.byteLength,
    };
    options.pool
      .run(task, { transferList: [task.buffer] })
      .then(
        (crc) => {
          checksums.computed++;
          checksums.last = { dtype, shape, bytes: task.byteLength, crc32: String(crc) };
        },
        () => {
          checksums.failed++;
        },
      )
      .finally(release);
  };

  const echo = async (conn: BulkConnection): Promise<void> => {
    for (;;) {
      const received = await conn.recvArray();
      if (received === null) return;
      const { array, dtype, shape } = received;
      const special = dtype === 'bool' || dtype === 'float16' ? { dtype } : {};
      await conn.sendArray(array, { shape, ...special });
      checksum(received);
    }
  };

  const server = createBulkServer(echo, {
    maxBytes: options.maxBytes,
    memoryBudget: options.memoryBudget,
    headerTimeout: options.headerTimeout,
    idleTimeout: options.idleTimeout,
    maxConnections: options.maxConnections,
    closeTimeout: options.closeTimeout,
    // Load shedding refuses before anything is read; counted in stats().refused.
    verify: () => !options.shed(),
    onError: failureLogger(options.logger, 'bulk'),
  });
  const address = await server.listen({ host: options.host, port: options.port });
  return {
    port: address.port,
    server,
    checksums,
    counters: () => {
      const stats = server.stats();
      return lifecycleCounters(stats, stats.arrays, false);
    },
    close: () => server.close({ timeout: options.closeTimeout }),
  };
}
