/**
 * One timeout and one caller signal for a whole handshake, and the mapping of every failure
 * to this package's typed errors. A handshake is a few small messages, so the deadline is
 * kept cheap: one timer, an abort listener only when the caller gave a signal, and an
 * `AbortSignal` only for transports that take one (channels we did not write).
 */
import type { KeyObject } from 'node:crypto';
import { InvalidArgumentError, NetError, TimeoutError } from '@net/core';
import { type SecretKey, toHmacKey } from './digests.js';
import {
  HandshakeAbortedError,
  HandshakeConnectionError,
  HandshakeError,
  HandshakeProtocolError,
  HandshakeTimeoutError,
} from './errors.js';

/** Why the deadline ended the handshake early. */
const Expiry = { None: 0, Timeout: 1, Aborted: 2 } as const;
type Expiry = (typeof Expiry)[keyof typeof Expiry];

export class HandshakeDeadline {
  readonly #timeout: number;
  readonly #caller: AbortSignal | undefined;
  #timer: NodeJS.Timeout | undefined;
  #onCallerAbort: (() => void) | undefined;
  /** Made on demand for channel transports, which take an `AbortSignal`. */
  #controller: AbortController | undefined;
  #expiry: Expiry = Expiry.None;
  /** Set by the transport: fails its pending read when the deadline expires. */
  onExpire: ((reason: unknown) => void) | undefined;
  /** What the handshake is doing now, for error messages. */
  step = 'starting';

  /** `timeout` and `signal` are validated by the caller's settings. */
  constructor(timeout: number, signal: AbortSignal | undefined) {
    if (signal?.aborted) throw new HandshakeAbortedError(this.step, signal.reason);
    this.#timeout = timeout;
    this.#caller = signal;
    if (timeout > 0) this.#timer = setTimeout(() => this.#expire(Expiry.Timeout), timeout);
    if (signal !== undefined) {
      this.#onCallerAbort = () => this.#expire(Expiry.Aborted);
      signal.addEventListener('abort', this.#onCallerAbort, { once: true });
    }
  }

  /**
   * The handshake's signal for transports that take one: aborted when the timeout passes or
   * the caller's signal aborts; `undefined` when there is neither.
   */
  get signal(): AbortSignal | undefined {
    if (this.#controller === undefined) {
      if (this.#timer === undefined && this.#caller === undefined) return undefined;
      this.#controller = new AbortController();
      if (this.#expiry !== Expiry.None) this.#controller.abort(this.#reason());
    }
    return this.#controller.signal;
  }

  /** Starts the next step; throws if the deadline has already expired. */
  enter(step: string): void {
    this.step = step;
    if (this.#expiry !== Expiry.None) throw this.toError(this.#reason());
  }

  #reason(): unknown {
    return this.#expiry === Expiry.Timeout ? new TimeoutError(this.#timeout) : this.#caller?.reason;
  }

  #expire(expiry: Expiry): void {
    if (this.#expiry !== Expiry.None) return;
    this.#expiry = expiry;
    this.dispose();
    const reason = this.#reason();
    this.#controller?.abort(reason);
    const onExpire = this.onExpire;
    this.onExpire = undefined;
    onExpire?.(reason);
  }

  /** Maps any failure of the current step to a typed error of this package. */
  toError(error: unknown): NetError {
    if (
      error instanceof HandshakeError ||
      error instanceof HandshakeAbortedError ||
      error instanceof InvalidArgumentError
    ) {
      return error;
    }
    // The deadline's state decides, not the error a read happened to reject with.
    if (this.#expiry === Expiry.Timeout) return new HandshakeTimeoutError(this.#timeout, this.step);
    if (this.#expiry === Expiry.Aborted || this.#caller?.aborted) {
      return new HandshakeAbortedError(this.step, this.#caller?.reason);
    }
    const code = error instanceof NetError ? error.code : undefined;
    if (code === 'ERR_STREAM_EOF') {
      return new HandshakeProtocolError(
        `The peer closed the connection while ${this.step} (a short or missing message)`,
        { cause: error },
      );
    }
    if (code === 'ERR_MAX_LENGTH') {
      return new HandshakeProtocolError(`The peer sent an oversized message while ${this.step}`, {
        cause: error,
      });
    }
    if (code === 'ERR_TIMEOUT') {
      // A channel's own read timeout fired before the handshake's.
      const elapsed = this.#timeout || ((error as { timeout?: number }).timeout ?? 0);
      return new HandshakeTimeoutError(elapsed, this.step);
    }
    return new HandshakeConnectionError(this.step, error);
  }

  /** Clears the timer and lets go of the caller's signal. */
  dispose(): void {
    clearTimeout(this.#timer);
    if (this.#onCallerAbort !== undefined) {
      this.#caller?.removeEventListener('abort', this.#onCallerAbort);
      this.#onCallerAbort = undefined;
    }
  }
}

/**
 * Runs a handshake with `secretKey` over the transport `open()` returns: one deadline for
 * all its steps, every failure mapped to a typed error, and the transport closed (a Duplex
 * handed back with unread bytes unshifted) and the deadline disposed however it ends.
 */
export async function runHandshake<T, R extends { close(): void }>(
  options: { timeout: number; signal?: AbortSignal | undefined },
  secretKey: SecretKey,
  open: (deadline: HandshakeDeadline) => R,
  body: (transport: R, key: KeyObject | Uint8Array, deadline: HandshakeDeadline) => Promise<T>,
): Promise<T> {
  const key = toHmacKey(secretKey);
  const deadline = new HandshakeDeadline(options.timeout, options.signal);
  let transport: R | undefined;
  try {
    transport = open(deadline);
    return await body(transport, key, deadline);
  } catch (error) {
    throw deadline.toError(error);
  } finally {
    deadline.dispose();
    deadline.onExpire = undefined;
    transport?.close();
  }
}
