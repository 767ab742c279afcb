/**
 * `@net/bulk-transfer`: large typed arrays over sockets with no needless copies (Python
 * Cookbook recipe 11.13, "Sending and Receiving Large Arrays"). `sendArray`/`recvArray`
 * speak NumPy's `.npy` format, so a Python peer uses `np.save` and
 * `numpy.lib.format.read_array`; `sendBuffer`/`recvInto` move raw bytes like the recipe's
 * `send_from`/`recv_into`. Sending writes views of your memory; receiving places bytes
 * directly into the destination, with zero copies through {@link connectForBulk}.
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
 * const { array, dtype, shape } = await recvArray(receiver, { maxBytes: 2 ** 31 });
 * console.log(dtype, shape, array[999_999]); // float64 [ 1000, 1000 ] 999999
 * receiver.socket.destroy();
 * server.close();
 * ```
 *
 * @packageDocumentation
 */
export { BulkReceiver, type ConnectForBulkOptions, connectForBulk } from './bulk-receiver.js';
export { releaseStream } from './byte-source.js';
export type { DtypeName, NumericArray } from './dtype.js';
export {
  ArrayTooLargeError,
  BulkConnectError,
  FortranOrderError,
  type InterruptionCode,
  type InterruptionDetails,
  InvalidArgumentError,
  NetError,
  NpyHeaderError,
  TransferInterruptedError,
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
