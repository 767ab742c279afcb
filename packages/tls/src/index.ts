/**
 * `@net/tls`: TLS servers and clients with secure defaults, development certificates from a local CA, mutual TLS, pinning and certificate reload
 *
 * @example
 * ```ts
 * // a runnable example of the main use
 * ```
 *
 * @packageDocumentation
 */
export {};
