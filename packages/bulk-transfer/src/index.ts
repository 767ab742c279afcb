/**
 * `@net/bulk-transfer`: large typed arrays over sockets with no needless copies (Python
 * Cookbook recipe 11.13, "Sending and Receiving Large Arrays"). `sendArray`/`recvArray`
 * speak NumPy's `.npy` format, so a Python peer uses `np.save` and
 * `numpy.lib.format.read_array`; `sendBuffer`/`recvInto` move raw bytes like the recipe's
 * `send_from`/`recv_into`. Sending writes views of your memory; receiving places bytes
 * directly into the destination, with zero copies through {@link connectForBulk}.
 * {@link createBulkServer} serves many clients on `@net/tcp-server`'s connection
 * lifecycle with one memory budget: an array is admitted (counted) before it is allocated.
 *
 * @example
 * ```ts
 * import { createBulkServer } from '@net/bulk-transfer';
 *
 * // Echo every array back; at most 1 GiB of arrays in memory at once, 256 MiB each.
 * const server = createBulkServer(
 *   async (conn) => {
 *     for (let got = await conn.recvArray(); got !== null; got = await conn.recvArray()) {
 *       const { array, shape, dtype } = got;
 *       await conn.sendArray(array, { shape, dtype });
 *     }
 *   },
 *   { memoryBudget: 2 ** 30, maxBytes: 2 ** 28, maxConnections: 100 },
 * );
 * const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
 * console.log(`bulk echo on ${port}`, server.stats().memoryInUse);
 * await server.close({ timeout: 5_000 });
 * ```
 *
 * @example
 * ```ts
 * import { createServer } from 'node:net';
 * import { connectForBulk, recvArray, sendArray } from '@net/bulk-transfer';
 *
 * // The accepting side sends a 1000 x 1000 matrix of doubles...
 * const server = createServer(async (socket) => {
 *   socket.on('error', () => {});
 *   const matrix = new Float64Array(1_000_000).map((_, i) => i);
 *   await sendArray(socket, matrix, { shape: [1000, 1000] });
 *   socket.end();
 * }).listen(0, '127.0.0.1');
 * await new Promise((resolve) => server.once('listening', resolve));
 *
 * // ...and the connecting side receives it straight into a new Float64Array.
 * const { port } = server.address() as { port: number };
 * const receiver = await connectForBulk({ port, host: '127.0.0.1' });
 * const got = await recvArray(receiver, { maxBytes: 2 ** 31 }); // null: the peer ended first
 * if (got === null) throw new Error('the server closed before sending the matrix');
 * console.log(got.dtype, got.shape, got.array[999_999]); // float64 [ 1000, 1000 ] 999999
 * receiver.socket.destroy();
 * server.close();
 * ```
 *
 * @packageDocumentation
 */

export type { ErrorContext, ErrorHook } from '@net/tcp-server';
export { type BulkArray, BulkConnection } from './bulk-connection.js';
export { BulkReceiver, type ConnectForBulkOptions, connectForBulk } from './bulk-receiver.js';
export { releaseStream } from './byte-source.js';
export type { DtypeName, Float16ArrayIfDeclared, NumericArray } from './dtype.js';
export {
  AbortedError,
  AdmissionTimeoutError,
  ArrayTooLargeError,
  BulkConnectError,
  FortranOrderError,
  type InterruptionCode,
  type InterruptionDetails,
  InvalidArgumentError,
  isTransferInterruption,
  NetError,
  NpyHeaderError,
  TimeoutError,
  TransferAbortedError,
  TransferInterruptedError,
  type TransferInterruption,
  TransferTimeoutError,
  UnsupportedDtypeError,
} from './errors.js';
export {
  BULK_TRANSFER_DEFAULTS,
  type ProgressCallback,
  type RecvArrayOptions,
  type SendArrayOptions,
  type TransferOptions,
} from './options.js';
export { type ReceivedArray, type ReceiveSource, recvArray, recvInto } from './receive.js';
export { type SendTarget, sendArray, sendBuffer } from './send.js';
export {
  BULK_SERVER_DEFAULTS,
  type BulkHandler,
  BulkServer,
  type BulkServerOptions,
  type BulkServerStats,
  createBulkServer,
} from './server.js';
