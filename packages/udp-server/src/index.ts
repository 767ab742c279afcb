/**
 * `@net/udp-server`: Datagram servers and a UDP request client: handlers with reply(), bounded concurrency, stats, retries with backoff
 *
 * @example
 * ```ts
 * // a runnable example of the main use
 * ```
 *
 * @packageDocumentation
 */
export {};
