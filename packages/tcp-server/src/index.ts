/**
 * `@net/tcp-server`: socketserver-style TCP servers: a handler per connection, limits, idle timeouts, graceful shutdown, stats
 *
 * @example
 * ```ts
 * // a runnable example of the main use
 * ```
 *
 * @packageDocumentation
 */
export {};
