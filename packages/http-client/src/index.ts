/**
 * `@net/http-client`: A requests-style HTTP client on undici: text, content, json(), timeouts by default, redirects, retries, typed errors
 *
 * @example
 * ```ts
 * // a runnable example of the main use
 * ```
 *
 * @packageDocumentation
 */
export {};
