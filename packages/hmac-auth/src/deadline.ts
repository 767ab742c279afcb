/**
 * One timeout and one caller signal for a whole handshake: each step gets the time left
 * and the signal, and every failure is turned into this package's typed errors.
 */
import type { KeyObject } from 'node:crypto';
import { InvalidArgumentError, NetError } from '@net/stream-reader';
import { type SecretKey, toHmacKey } from './digests.js';
import {
  HandshakeAbortedError,
  HandshakeConnectionError,
  HandshakeError,
  HandshakeProtocolError,
  HandshakeTimeoutError,
} from './errors.js';

/** What each step of a handshake passes to the transport: the time left, and the caller's signal. */
export interface StepOptions {
  /** Milliseconds left for the handshake, `0` when it has no timeout. */
  timeout: number;
  signal: AbortSignal | undefined;
}

export class Deadline {
  readonly #timeout: number;
  readonly #signal: AbortSignal | undefined;
  readonly #expires: number;
  /** What the handshake is doing now, for error messages. */
  step = 'starting';

  constructor(timeout: number, signal: AbortSignal | undefined) {
    if (!(Number.isFinite(timeout) && timeout >= 0)) {
      throw new InvalidArgumentError(`timeout must be a number of ms >= 0, got ${timeout}`);
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidArgumentError('signal must be an AbortSignal');
    }
    if (signal?.aborted) throw new HandshakeAbortedError(this.step, signal.reason);
    this.#timeout = timeout;
    this.#signal = signal;
    this.#expires = timeout > 0 ? performance.now() + timeout : Number.POSITIVE_INFINITY;
  }

  /**
   * Runs one step with the time left and the caller's signal (timers live in the reads,
   * not here, so a handshake costs no timer of its own); failures become typed errors.
   */
  async run<T>(step: string, operation: (options: StepOptions) => Promise<T> | T): Promise<T> {
    this.step = step;
    try {
      if (this.#signal?.aborted) throw this.#signal.reason;
      const left = this.#expires - performance.now();
      if (left <= 0) {
        throw new HandshakeTimeoutError(this.#timeout, step);
      }
      return await operation({
        timeout: left === Number.POSITIVE_INFINITY ? 0 : Math.ceil(left),
        signal: this.#signal,
      });
    } catch (error) {
      throw this.toError(error);
    }
  }

  /** Maps any failure of the current step to a typed error of this package. */
  toError(error: unknown): NetError {
    if (error instanceof HandshakeError || error instanceof InvalidArgumentError) return error;
    if (this.#signal?.aborted) return new HandshakeAbortedError(this.step, this.#signal.reason);
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
      // The handshake's time ran out in a read, or a channel's own read timeout fired.
      const elapsed = this.#timeout || ((error as { timeout?: number }).timeout ?? 0);
      return new HandshakeTimeoutError(elapsed, this.step);
    }
    return new HandshakeConnectionError(this.step, error);
  }
}

/**
 * Runs a handshake with `secretKey` over the transport `open()` returns: one deadline for
 * all its steps, every failure mapped to a typed error, and the transport closed (a Duplex
 * handed back with unread bytes unshifted) however it ends.
 */
export async function runHandshake<T, R extends { close(): void }>(
  options: { timeout: number; signal?: AbortSignal | undefined },
  secretKey: SecretKey,
  open: () => R,
  body: (transport: R, key: KeyObject | Uint8Array, deadline: Deadline) => Promise<T>,
): Promise<T> {
  const key = toHmacKey(secretKey);
  const deadline = new Deadline(options.timeout, options.signal);
  let transport: R | undefined;
  try {
    transport = open();
    return await body(transport, key, deadline);
  } catch (error) {
    throw deadline.toError(error);
  } finally {
    transport?.close();
  }
}
