/**
 * Error classes of `@net/ipc`. Each extends {@link NetError} (from `@net/core`) with a
 * stable `code`. Conditions every package shares use `@net/core`'s classes, re-exported
 * here: `ConnectionClosedError` (`ERR_CONNECTION_CLOSED`), `ListenError` (`ERR_LISTEN`),
 * `InvalidArgumentError` (`ERR_INVALID_ARGUMENT`), `TimeoutError` (`ERR_TIMEOUT`). Read
 * errors (`ERR_STREAM_EOF`, `ERR_ABORTED`, ...) are `@net/stream-reader`'s, handshake
 * errors (`ERR_AUTH_*`) `@net/hmac-auth`'s and lifecycle reasons (`ERR_IDLE_TIMEOUT`,
 * `ERR_HANDSHAKE_TIMEOUT`, `ERR_SERVER_CLOSING`) `@net/tcp-server`'s.
 */
import {
  ConnectionClosedError,
  InvalidArgumentError,
  ListenError,
  NetError,
  TimeoutError,
} from '@net/core';

export { ConnectionClosedError, InvalidArgumentError, ListenError, NetError, TimeoutError };

/** A TCP endpoint was opened without an `authkey`, and without `authkey: null` to say so. */
export class AuthkeyRequiredError extends NetError {
  constructor() {
    super(
      'ERR_AUTHKEY_REQUIRED',
      'TCP listeners and clients need an authkey (a Buffer or string shared by both ends); ' +
        'pass authkey: null to accept unauthenticated TCP peers on purpose',
    );
  }
}

/** A message is larger than `maxMessageSize` (announced by the peer, or given to send). */
export class MessageTooLargeError extends NetError {
  /** The message length in bytes (announced or given). */
  readonly length: number;
  /** The limit in force. */
  readonly maxMessageSize: number;

  constructor(length: number, maxMessageSize: number, direction: 'received' | 'sent') {
    super(
      'ERR_MESSAGE_TOO_LARGE',
      direction === 'received'
        ? `Peer announced a message of ${length} bytes, over maxMessageSize (${maxMessageSize}); ` +
            'the connection was closed. Raise maxMessageSize if this is expected'
        : `Message of ${length} bytes is over maxMessageSize (${maxMessageSize}); ` +
            'raise maxMessageSize on both ends if this is expected',
    );
    this.length = length;
    this.maxMessageSize = maxMessageSize;
  }
}

/**
 * A send waited for `'drain'` longer than `sendTimeout` while the peer took none of the
 * queued bytes. The connection is destroyed (the message was cut off mid-frame, so the
 * stream can no longer be trusted). `code` is core's `ERR_TIMEOUT`.
 */
export class SendTimeoutError extends TimeoutError {
  /** Bytes still queued for the peer when the send gave up. */
  readonly queued: number;

  constructor(timeout: number, queued: number) {
    super(
      timeout,
      `The peer took none of the ${queued} queued bytes for ${timeout} ms (sendTimeout), so ` +
        'the connection was destroyed; the peer stopped reading. Raise sendTimeout if it may ' +
        'legitimately pause that long (0 = wait forever, like Python)',
    );
    this.queued = queued;
  }
}

/**
 * A received message could not be decoded by the connection's codec: it is not a
 * V8-serialized value, or not a well-formed pickle of the data types the pickle codec reads.
 * With pickles, `cause` says what is wrong and where (truncated, unknown opcode, ...). The
 * message was consumed; the connection stays usable.
 */
export class DeserializeError extends NetError {
  /** Size of the message that could not be decoded. */
  readonly byteLength: number;

  constructor(cause: unknown, body: Uint8Array, codec: 'v8' | 'pickle' = 'v8') {
    // Python's conn.send() writes a pickle: protocol 2 and later open with PROTO (0x80) and
    // the protocol number; V8's format opens with 0xFF.
    const pickle = body.byteLength >= 2 && body[0] === 0x80 && body[1]! >= 2 && body[1]! <= 5;
    const v8 = body.byteLength >= 1 && body[0] === 0xff;
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'ERR_DESERIALIZE',
      codec === 'pickle'
        ? `Received a ${body.byteLength}-byte message that is not a pickle this codec reads ` +
            `(${detail})` +
            (v8 ? ", but a V8-serialized value: the peer sends with codec 'v8'" : '') +
            '. Read raw bytes with recvBytes(). The message was consumed; the connection is ' +
            'still usable'
        : `Received a ${body.byteLength}-byte message that is not a V8-serialized value` +
            (pickle
              ? ` but a Python pickle (protocol ${body[1]}, from Python's conn.send()): ` +
                "open the connection with codec: 'pickle' to read it as a value, or"
              : ': recv() reads only what a Node peer sent with send().') +
            " read raw bytes with recvBytes() (Python's send_bytes() writes them). The " +
            'message was consumed; the connection is still usable',
      { cause },
    );
    this.byteLength = body.byteLength;
  }
}

/**
 * A value has no form in the connection's codec, so nothing was sent. For V8 serialization:
 * functions, symbols and class instances with private state. For pickles: anything outside
 * the codec's types (a function, a symbol, a `Date`, a class instance, a typed array other
 * than `Uint8Array`, a list or dict used as a set item or `Map` key).
 */
export class SerializeError extends NetError {
  /** For pickles: where in the value the problem is (`$[2].name`), and what was found there. */
  readonly path: string | undefined;

  constructor(cause: unknown, codec: 'v8' | 'pickle' = 'v8', path?: string) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'ERR_SERIALIZE',
      codec === 'pickle'
        ? `Cannot pickle the value at ${path ?? '$'}: ${detail}. The pickle codec sends null and ` +
            'undefined (None), booleans, numbers, bigints, strings, Uint8Array (bytes), arrays ' +
            '(list), tuple(...) arrays, Map, plain objects (dict) and Set; nothing was sent'
        : 'Value cannot be serialized with the structured clone algorithm (functions, ' +
            'symbols and class instances with private state are not supported); send plain data',
      { cause },
    );
    this.path = path;
  }
}

/**
 * A received pickle uses an opcode that would import or call something in Python (`GLOBAL`,
 * `STACK_GLOBAL`, `REDUCE`, `BUILD`, `INST`, `OBJ`, `NEWOBJ`, `NEWOBJ_EX`, `PERSID`,
 * `BINPERSID`, `EXT1/2/4`). It was refused where it stood, before anything it names was
 * looked up; the message was consumed and the connection stays usable. The only names a
 * pickle may use are the builtins Python's own protocols 2 to 4 write for `bytes`,
 * `bytearray`, `set` and `frozenset`, which the codec builds itself.
 */
export class PickleUnsafeError extends NetError {
  /** The refused opcode, as `pickletools` names it. */
  readonly opcode: string;
  /** Its byte offset in the message. */
  readonly offset: number;
  /** For `GLOBAL` / `STACK_GLOBAL`: the `module.name` it asked for. */
  readonly global: string | undefined;

  constructor(opcode: string, offset: number, global?: string) {
    super(
      'ERR_PICKLE_UNSAFE',
      `Refused pickle opcode ${opcode}${global === undefined ? '' : ` (${global})`} at byte ` +
        `${offset}: it would import or call code in Python, and the pickle codec reads data ` +
        'only (None, bool, int, float, str, bytes, bytearray, list, tuple, dict, set, ' +
        'frozenset). Have the peer send plain data, or read the raw bytes with recvBytes(). ' +
        'The message was consumed; the connection is still usable',
    );
    this.opcode = opcode;
    this.offset = offset;
    this.global = global;
  }
}

/**
 * A pickle nests containers deeper than `pickle.maxDepth`, or a received one holds more than
 * `pickle.maxContainers` containers. Received: the message was consumed and the connection
 * stays usable; sent: nothing was sent.
 */
export class PickleLimitError extends NetError {
  /** Which limit: `'maxDepth'` or `'maxContainers'`. */
  readonly limit: 'maxDepth' | 'maxContainers';
  /** The limit in force. */
  readonly max: number;

  constructor(limit: 'maxDepth' | 'maxContainers', max: number, direction: 'received' | 'sent') {
    super(
      'ERR_PICKLE_LIMIT',
      (limit === 'maxDepth'
        ? `The ${direction} pickle nests containers more than ${max} deep (pickle.maxDepth)`
        : `The received pickle holds more than ${max} containers (pickle.maxContainers)`) +
        (direction === 'received'
          ? '; the message was consumed and the connection is still usable'
          : '; nothing was sent') +
        '. Raise the limit if such values are expected',
    );
    this.limit = limit;
    this.max = max;
  }
}

/** `connect()` could not reach the peer. `cause` is the system error (`ECONNREFUSED`, ...). */
export class ConnectError extends NetError {
  constructor(target: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('ERR_CONNECT', `Could not connect to ${target}: ${detail}; is the listener running?`, {
      cause,
    });
  }
}

/** `accept()` on a listener that is closed (or closes while waiting). */
export class ListenerClosedError extends NetError {
  constructor() {
    super('ERR_LISTENER_CLOSED', 'The listener is closed; no more connections will be accepted');
  }
}

/** A worker process could not be started, or failed before it was ready. */
export class WorkerStartError extends NetError {
  constructor(module: string, detail: string, options?: { cause?: unknown }) {
    super(
      'ERR_WORKER_START',
      `Worker ${module} did not start: ${detail}; check that the module calls serveWorker()`,
      options,
    );
  }
}
