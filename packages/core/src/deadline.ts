/**
 * One deadline for an operation: a timeout and the caller's `AbortSignal` joined into one
 * signal, with one timer that is cleared when the operation is done. Every package that
 * gives a call both `timeout` and `signal` builds it from here.
 */
import { AbortedError, TimeoutError } from './errors.js';
import { checkMs, checkSignal } from './validate.js';

/** Options of {@link createDeadline} and {@link withDeadline}. */
export interface DeadlineOptions {
  /** Milliseconds before the deadline expires; `0` or `undefined` = no timeout. */
  timeout?: number | undefined;
  /** The caller's signal: aborting it ends the deadline with its reason. */
  signal?: AbortSignal | undefined;
  /** The error the deadline's signal is aborted with on timeout. Default: a {@link TimeoutError}. */
  timeoutError?: ((timeout: number) => Error) | undefined;
}

/** A running deadline; call `dispose()` once the operation is done. */
export interface Deadline {
  /**
   * Aborted when the timeout passes (reason: the timeout error) or when the caller's
   * signal aborts (reason: the caller's reason). Pass it to the operation's steps.
   */
  readonly signal: AbortSignal;
  /** True once the timeout has passed. */
  readonly timedOut: boolean;
  /** Milliseconds left (`Infinity` with no timeout, 0 once expired). */
  remaining(): number;
  /** Clears the timer and lets go of the caller's signal. */
  dispose(): void;
}

/** Starts a deadline: checks the options, starts one timer, links the caller's signal. */
export function createDeadline(options: DeadlineOptions = {}): Deadline {
  const timeout = options.timeout ?? 0;
  checkMs('timeout', timeout);
  checkSignal('signal', options.signal);
  const outer = options.signal;
  const controller = new AbortController();
  const expires = timeout > 0 ? performance.now() + timeout : Number.POSITIVE_INFINITY;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    clearTimeout(timer);
    controller.abort(outer?.reason);
  };
  if (outer?.aborted) {
    controller.abort(outer.reason);
  } else {
    outer?.addEventListener('abort', onAbort, { once: true });
    if (timeout > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        outer?.removeEventListener('abort', onAbort);
        controller.abort(options.timeoutError?.(timeout) ?? new TimeoutError(timeout));
      }, timeout);
    }
  }
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    remaining: () => Math.max(0, expires - performance.now()),
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Runs `operation(signal)` under a deadline. Resolves with its result; rejects with the
 * timeout error when the timeout passes first, or with an `ERR_ABORTED` {@link AbortedError}
 * (cause: the caller's reason) when the caller's signal aborts first, even if the
 * operation ignores its signal. The timer is cleared however it ends.
 */
export async function withDeadline<T>(
  operation: (signal: AbortSignal) => Promise<T> | T,
  options: DeadlineOptions = {},
): Promise<T> {
  const deadline = createDeadline(options);
  const { signal } = deadline;
  if (signal.aborted) {
    deadline.dispose();
    throw toDeadlineError(deadline);
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(toDeadlineError(deadline));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([operation(signal), aborted]);
  } catch (error) {
    throw signal.aborted ? toDeadlineError(deadline) : error;
  } finally {
    signal.removeEventListener('abort', onAbort!);
    aborted.catch(() => undefined);
    deadline.dispose();
  }
}

function toDeadlineError(deadline: Deadline): Error {
  const reason = deadline.signal.reason;
  if (deadline.timedOut) return reason as Error;
  return new AbortedError(undefined, reason);
}
