/**
 * `@net/ipc`: multiprocessing.connection-style Listener and Client (Python wire compatible), and passing sockets to worker processes
 *
 * @example
 * ```ts
 * // a runnable example of the main use
 * ```
 *
 * @packageDocumentation
 */
export {};
