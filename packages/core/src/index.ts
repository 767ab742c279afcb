/**
 * `@net/core`: the small base every `@net` package shares, so that one condition has one
 * error class and code across the toolkit, the same option is checked the same way
 * everywhere, and a timeout joins a caller's `AbortSignal` in one place.
 *
 * @example
 * ```ts
 * import { checkMs, NetError, TimeoutError, withDeadline } from '@net/core';
 *
 * checkMs('timeout', 5_000); // throws ERR_INVALID_ARGUMENT for -1, NaN or 2 ** 31
 * try {
 *   await withDeadline((signal) => new Promise((resolve) => setTimeout(resolve, 50, 'late')), {
 *     timeout: 10,
 *   });
 * } catch (error) {
 *   if (error instanceof NetError) console.log(error.code); // ERR_TIMEOUT
 *   console.log(error instanceof TimeoutError); // true
 * }
 * ```
 *
 * @packageDocumentation
 */
export { createDeadline, type Deadline, type DeadlineOptions, withDeadline } from './deadline.js';
export {
  AbortedError,
  ClientClosedError,
  ConnectionClosedError,
  InvalidArgumentError,
  ListenError,
  NetError,
  type NetErrorOptions,
  ServerStateError,
  TimeoutError,
} from './errors.js';
export {
  checkBoolean,
  checkByteSize,
  checkCount,
  checkMs,
  checkOptionalFunction,
  checkSignal,
  type Defined,
  MAX_TIMER_MS,
  withDefaults,
} from './validate.js';
