/**
 * `@net/stream-reader`: pull-style reading from Node streams, the shared mechanics of
 * every `@net/*` package that speaks a protocol over a socket.
 *
 * Node streams push data at you; protocols want to pull it: "the next 4 bytes", "the
 * next line", "the next frame". {@link StreamReader} turns any byte-mode Readable
 * (`net.Socket`, `tls.TLSSocket`, a Duplex) into those calls, with a timeout and an
 * AbortSignal on each, limits checked before allocation, no lost bytes and backpressure.
 *
 * @example
 * ```ts
 * import { connect } from 'node:net';
 * import { createStreamReader } from '@net/stream-reader';
 *
 * const socket = connect(8080, '127.0.0.1');
 * const reader = createStreamReader(socket, { timeout: 5_000 });
 * const greeting = await reader.readLine();              // "220 ready"
 * const frame = await reader.readFrame();                // 4-byte big-endian length + body
 * const header = await reader.readExactly(16);
 * const rest = reader.release();                         // hand the socket to someone else
 * ```
 *
 * @packageDocumentation
 */
export {
  InvalidArgumentError,
  MaxLengthError,
  NetError,
  type NetErrorOptions,
  ReadAbortedError,
  ReaderReleasedError,
  ReadTimeoutError,
  StreamEOFError,
  StreamReadError,
} from './errors.js';
export {
  type ByteOrder,
  createStreamReader,
  type FrameHeaderSize,
  type ReadChunkOptions,
  type ReadFrameOptions,
  type ReadLineOptions,
  type ReadOptions,
  type ReadUntilOptions,
  type ReleaseOptions,
  STREAM_READER_DEFAULTS,
  StreamReader,
  type StreamReaderOptions,
} from './stream-reader.js';
