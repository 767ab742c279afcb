/**
 * `@net/bulk-transfer`: Large typed arrays over sockets with no needless copies: NumPy .npy framing, sendBuffer and recvInto
 *
 * @example
 * ```ts
 * // a runnable example of the main use
 * ```
 *
 * @packageDocumentation
 */
export {};
