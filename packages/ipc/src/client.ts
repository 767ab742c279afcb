/** `connect()`: Python's `multiprocessing.connection.Client`. */
import { connect as netConnect, type Socket } from 'node:net';
import { Connection } from './connection.js';
import { ConnectError } from './errors.js';
import { authenticateClient, deadline, type HandshakeSettings } from './handshake.js';
import { type EndpointOptions, IPC_DEFAULTS, resolveEndpoint } from './options.js';

/** Options of {@link connect}. */
export interface ConnectOptions extends EndpointOptions {
  /** Cancels connecting and the handshake. */
  signal?: AbortSignal;
  /** The challenge we deliver to the listener (its second half): `'modern'` (3.12+) or `'legacy'`. */
  protocol?: HandshakeSettings['protocol'];
  /** Digest of a modern challenge we deliver. */
  digest?: HandshakeSettings['digest'];
}

/**
 * Connects to a listener (ours or Python's `Listener`) at `{ host, port }` or `{ path }` and,
 * with an `authkey`, authenticates in `Client()`'s order (answer the listener's challenge,
 * then deliver ours). Rejects with `ERR_AUTHKEY_REQUIRED` (TCP without `authkey`),
 * `ERR_CONNECT`, the handshake's `ERR_AUTH_*` errors, or `ERR_INVALID_ARGUMENT`.
 */
export async function connect(options: ConnectOptions): Promise<Connection> {
  const endpoint = resolveEndpoint(options, '127.0.0.1');
  const timeout = options.handshakeTimeout ?? IPC_DEFAULTS.handshakeTimeout;
  const left = deadline(timeout);
  const socket = endpoint.path
    ? netConnect({ path: endpoint.path })
    : netConnect({ host: endpoint.tcp?.host, port: endpoint.tcp?.port ?? 0, noDelay: true });
  socket.on('error', () => undefined);
  try {
    await connected(socket, endpoint.label, timeout, options.signal);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  if (endpoint.tcp) socket.setNoDelay(true);
  const conn = new Connection(socket, options);
  if (endpoint.authkey !== undefined) {
    try {
      await authenticateClient(conn, endpoint.authkey, {
        timeout: left(),
        signal: options.signal,
        protocol: options.protocol,
        digest: options.digest,
        acceptDigests: options.acceptDigests,
      });
    } catch (error) {
      conn.destroy();
      throw error;
    }
  }
  return conn;
}

function connected(
  socket: Socket,
  label: string,
  timeout: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (cause: unknown) => {
      cleanup();
      reject(new ConnectError(label, cause));
    };
    const onError = (error: Error) => fail(error);
    const onAbort = () => fail(signal?.reason);
    const timer =
      timeout > 0
        ? setTimeout(() => fail(new Error(`no connection within ${timeout} ms`)), timeout)
        : undefined;
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('connect', onConnect);
      signal?.removeEventListener('abort', onAbort);
    };
    const onConnect = () => {
      cleanup();
      resolve();
    };
    if (signal?.aborted) return fail(signal.reason);
    socket.once('error', onError);
    socket.once('connect', onConnect);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
