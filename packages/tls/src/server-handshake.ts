/**
 * The server side of one TLS handshake over an accepted socket: what `tls.Server` does
 * for each connection (lib/_tls_wrap.js, `tlsConnectionListener` and
 * `onServerSocketSecure`), for a `TLSSocket` made by the connection lifecycle's handler.
 */
import type { TLSSocket } from 'node:tls';
import { toServerError } from './error-mapping.js';
import { ClientCertificateRejectedError, HandshakeError } from './errors.js';

/** The parts of a server-side `TLSSocket` that `tls.Server` uses and that have no public API. */
interface ServerSocketInternals {
  /** The TLSWrap: the client certificate's verification result after the handshake. */
  _handle: { verifyError(): (Error & { code?: string }) | null } | null;
  /**
   * Hands error reporting to the socket's own `'error'` event. Until it is called, TLS
   * errors that do not destroy the socket (renegotiation attacks, post-handshake failures)
   * only reach the internal `'_tlsError'` event, so they would be lost.
   */
  _releaseControl?: () => boolean;
}

/**
 * Resolves once the handshake on `socket` has finished and (with `mutual`) the client's
 * certificate verified; rejects with the typed TLS error otherwise (the socket is then
 * destroyed), or with the signal's reason when the lifecycle gave up on the connection
 * first (handshake deadline), so that it is not counted twice. The lifecycle destroys a
 * connection it gives up on, so `'close'` ends the wait: the signal is only looked at then,
 * which spares a successful handshake the cost of creating it.
 */
export function serverHandshake(
  socket: TLSSocket,
  context: { readonly signal: AbortSignal },
  mutual: boolean,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown): void => {
      socket.off('secure', onSecure);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.off('close', onClose);
      if (error === undefined) {
        resolve();
        return;
      }
      socket.destroy();
      reject(error);
    };
    const onSecure = (): void => {
      const internals = socket as unknown as ServerSocketInternals;
      if (mutual) {
        // As onServerSocketSecure: OpenSSL accepts any certificate during the handshake
        // and Node checks the verification result afterwards.
        const verifyError = internals._handle?.verifyError() ?? null;
        if (verifyError !== null) {
          (socket as { authorizationError: unknown }).authorizationError = verifyError.code;
          settle(
            new ClientCertificateRejectedError({
              cause: verifyError,
              opensslCode: verifyError.code,
            }),
          );
          return;
        }
        socket.authorized = true;
      }
      internals._releaseControl?.();
      settle();
    };
    const onError = (error: Error): void => {
      const { signal } = context;
      settle(signal.aborted ? signal.reason : toServerError(error, socket, {}));
    };
    // With allowHalfOpen (the lifecycle's), a client's FIN does not close the socket.
    const onEnd = (): void => {
      settle(
        new HandshakeError(
          'the client ended the connection before the handshake finished (it probably does ' +
            "not trust this server's certificate, or does not speak TLS)",
          {},
        ),
      );
    };
    const onClose = (): void => {
      const { signal } = context;
      settle(
        signal.aborted
          ? signal.reason
          : new HandshakeError('the connection closed before the handshake finished', {}),
      );
    };
    if (socket.destroyed) {
      onClose(); // its 'close' may have been emitted already
      return;
    }
    socket.once('secure', onSecure);
    socket.on('error', onError);
    socket.once('end', onEnd);
    socket.once('close', onClose);
  });
}
