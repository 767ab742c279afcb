/**
 * `@net/event-loop`: Event-driven handlers on Node's loop, a worker-thread pool for blocking work, and event-loop health metrics
 *
 * @example
 * ```ts
 * // a runnable example of the main use
 * ```
 *
 * @packageDocumentation
 */
export {};
