/** `sendBuffer` (the recipe's `send_from`) and `sendArray` (a `.npy` array). */
import type { Writable } from 'node:stream';
import { BulkReceiver } from './bulk-receiver.js';
import { sendInOrder } from './call-order.js';
import { dtypeOfView } from './dtype.js';
import { type InterruptionCode, InvalidArgumentError, interruption } from './errors.js';
import { encodeHeader } from './npy-header.js';
import {
  bytesOf,
  type CallContext,
  callContext,
  type SendArrayOptions,
  type TransferOptions,
} from './options.js';

/** What `sendArray` and `sendBuffer` write to: any byte stream, or a {@link BulkReceiver}. */
export type SendTarget = Writable | BulkReceiver;

function writableOf(target: SendTarget): Writable {
  const stream = target instanceof BulkReceiver ? target.socket : target;
  if (
    stream === null ||
    typeof stream !== 'object' ||
    typeof (stream as Writable).write !== 'function'
  ) {
    throw new InvalidArgumentError(
      'socket must be a net.Socket (or any Writable) or a BulkReceiver',
    );
  }
  return stream;
}

/**
 * Writes `body` (preceded by `head`, in the same writev) as views of the caller's memory,
 * `chunkSize` bytes per write; resolves once the kernel has taken the last byte.
 */
function writeViews(
  stream: Writable,
  head: Uint8Array | undefined,
  body: Uint8Array,
  ctx: CallContext,
): Promise<number> {
  const total = body.byteLength;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      stream.off('close', onClose);
      stream.off('error', onError);
      if (error === undefined) resolve(total);
      else reject(error);
    };
    const interrupt = (code: InterruptionCode, cause: unknown) => {
      // Writes already queued cannot be taken back; the stream stops mid-message.
      stream.destroy();
      finish(
        interruption(
          code,
          {
            direction: 'send',
            phase: 'body',
            bytesTransferred: sent,
            expected: total,
            cause,
          },
          ctx.timeout,
        ),
      );
    };
    const onAbort = () => interrupt('ERR_ABORTED', ctx.signal?.reason);
    const onClose = () => interrupt('ERR_TRANSFER_INCOMPLETE', undefined);
    const onError = (error: unknown) => interrupt('ERR_TRANSFER_INCOMPLETE', error);
    if (ctx.signal?.aborted) {
      finish(
        interruption('ERR_ABORTED', {
          direction: 'send',
          phase: 'body',
          bytesTransferred: 0,
          expected: total,
          cause: ctx.signal.reason,
        }),
      );
      return;
    }
    if (stream.destroyed || stream.writableEnded) {
      finish(
        interruption('ERR_TRANSFER_INCOMPLETE', {
          direction: 'send',
          phase: 'body',
          bytesTransferred: 0,
          expected: total,
        }),
      );
      return;
    }
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('close', onClose);
    stream.on('error', onError);
    if (ctx.deadline !== Number.POSITIVE_INFINITY) {
      timer = setTimeout(
        () => interrupt('ERR_TIMEOUT', undefined),
        Math.max(1, ctx.deadline - performance.now()),
      );
    }
    // One chunk at a time, the next queued as soon as the kernel took the previous: the
    // socket's send buffer never runs dry, and progress follows what really left.
    const writeNext = (offset: number) => {
      const end = Math.min(total, offset + ctx.chunkSize);
      const piece = body.subarray(offset, end);
      const last = end === total;
      const done = (error?: Error | null) => {
        if (settled) return;
        if (error) {
          interrupt('ERR_TRANSFER_INCOMPLETE', error);
          return;
        }
        sent = end;
        ctx.progress?.(sent, total);
        if (last) finish();
        else writeNext(end);
      };
      if (total === 0 && head === undefined) {
        done();
      } else if (offset === 0 && head !== undefined) {
        // Header and first chunk leave together in one writev, without concatenating.
        stream.cork();
        stream.write(head);
        stream.write(piece, done);
        stream.uncork();
      } else {
        stream.write(piece, done);
      }
    };
    writeNext(0);
  });
}

/**
 * Sends the raw bytes of `view` (any typed array, `DataView` or `Buffer`), like the
 * recipe's `send_from`: no copies, the socket writes straight from your memory. Resolves
 * once every byte was handed to the kernel. Do not modify `view` until then.
 */
export async function sendBuffer(
  socket: SendTarget,
  view: ArrayBufferView,
  options: TransferOptions = {},
): Promise<number> {
  const stream = writableOf(socket);
  const body = bytesOf(view);
  const ctx = callContext(options);
  return sendInOrder(stream, () => writeViews(stream, undefined, body, ctx));
}

/**
 * Sends a typed array in NumPy's `.npy` format, readable by `recvArray` or by
 * `numpy.lib.format.read_array` on a socket file. The header and the array's own memory
 * go out together in one writev; the array is not copied.
 */
export async function sendArray(
  socket: SendTarget,
  array: ArrayBufferView,
  options: SendArrayOptions = {},
): Promise<number> {
  const stream = writableOf(socket);
  const ctx = callContext(options);
  const info = dtypeOfView(array, options.dtype);
  const length = (array as { length?: number }).length ?? array.byteLength / info.itemSize;
  const shape = options.shape ?? [length];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InvalidArgumentError(
      `shape must be an array of non-negative integers, got ${String(shape)}`,
    );
  }
  const count = shape.reduce((product, d) => product * d, 1);
  if (count !== length) {
    throw new InvalidArgumentError(
      `shape [${shape.join(', ')}] holds ${count} elements but the array has ${length}`,
    );
  }
  const header = encodeHeader(info.descr, shape);
  return sendInOrder(stream, () => writeViews(stream, header, bytesOf(array), ctx));
}
