/**
 * One timeout and one caller signal for a whole handshake, joined by `@net/core`'s
 * `createDeadline` into one signal that every step's reads and writes get; every failure
 * is turned into this package's typed errors.
 */
import type { KeyObject } from 'node:crypto';
import {
  checkMs,
  checkSignal,
  createDeadline,
  type Deadline,
  InvalidArgumentError,
  NetError,
} from '@net/core';
import { type SecretKey, toHmacKey } from './digests.js';
import {
  HandshakeAbortedError,
  HandshakeConnectionError,
  HandshakeError,
  HandshakeProtocolError,
  HandshakeTimeoutError,
} from './errors.js';

/** What each step of a handshake passes to the transport: the handshake's signal. */
export interface StepOptions {
  /** Aborted when the handshake's timeout passes or the caller's signal aborts. */
  signal: AbortSignal | undefined;
}

export class HandshakeDeadline {
  readonly #timeout: number;
  readonly #caller: AbortSignal | undefined;
  /** One timer for the whole handshake (none without a timeout and a signal). */
  readonly #deadline: Deadline | undefined;
  readonly #step: StepOptions;
  /** What the handshake is doing now, for error messages. */
  step = 'starting';

  constructor(timeout: number, signal: AbortSignal | undefined) {
    checkMs('timeout', timeout);
    checkSignal('signal', signal);
    if (signal?.aborted) throw new HandshakeAbortedError(this.step, signal.reason);
    this.#timeout = timeout;
    this.#caller = signal;
    this.#deadline =
      timeout > 0 || signal !== undefined ? createDeadline({ timeout, signal }) : undefined;
    this.#step = { signal: this.#deadline?.signal };
  }

  /** Runs one step under the handshake's signal; failures become typed errors. */
  async run<T>(step: string, operation: (options: StepOptions) => Promise<T> | T): Promise<T> {
    this.step = step;
    try {
      if (this.#deadline?.signal.aborted) throw this.#deadline.signal.reason;
      return await operation(this.#step);
    } catch (error) {
      throw this.toError(error);
    }
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
    if (this.#deadline?.timedOut) return new HandshakeTimeoutError(this.#timeout, this.step);
    if (this.#caller?.aborted) return new HandshakeAbortedError(this.step, this.#caller.reason);
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
    this.#deadline?.dispose();
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
  open: () => R,
  body: (transport: R, key: KeyObject | Uint8Array, deadline: HandshakeDeadline) => Promise<T>,
): Promise<T> {
  const key = toHmacKey(secretKey);
  const deadline = new HandshakeDeadline(options.timeout, options.signal);
  let transport: R | undefined;
  try {
    transport = open();
    return await body(transport, key, deadline);
  } catch (error) {
    throw deadline.toError(error);
  } finally {
    deadline.dispose();
    transport?.close();
  }
}
