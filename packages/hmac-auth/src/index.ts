/**
 * `@net/hmac-auth`: HMAC challenge-response authentication over any duplex stream: the recipe's protocol and Python multiprocessing's handshake
 *
 * @example
 * ```ts
 * // a runnable example of the main use
 * ```
 *
 * @packageDocumentation
 */
export {};
