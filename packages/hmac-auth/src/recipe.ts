/**
 * Recipe 11.9's handshake: the server sends random bytes, the client answers with the raw
 * HMAC of them, the server compares in constant time. Optionally mutual (see README).
 */
import {
  checkBoolean,
  checkCount,
  checkMs,
  checkOptionalFunction,
  checkSignal,
  withDefaults,
} from '@net/core';
import { runHandshake } from './deadline.js';
import { digestSize, digestsEqual, hmac, type RecipeDigest, type SecretKey } from './digests.js';
import { AuthenticationFailedError, InvalidArgumentError, type NetError } from './errors.js';
import { randomChallenge } from './random.js';
import { type ByteTransport, openByteTransport } from './transport.js';

/** Options of {@link serverAuthenticate} and {@link clientAuthenticate}; both sides must agree. */
export interface AuthenticateOptions {
  /** HMAC digest. `md5` and `sha1` only for legacy peers. Default `'sha256'`. */
  digest?: RecipeDigest;
  /** Bytes of random challenge (16 to 1024). Default `32`, like the recipe. */
  challengeLength?: number;
  /** Milliseconds for the whole handshake, `0` for none. Default `10000`. */
  timeout?: number;
  /** Cancels the handshake; it then rejects with `ERR_ABORTED` (core's `AbortedError`). */
  signal?: AbortSignal;
  /** Adds the reverse round: the server proves it holds the key too. Default `false`. */
  mutual?: boolean;
}

/** Options of {@link serverAuthenticate}. */
export interface ServerAuthenticateOptions extends AuthenticateOptions {
  /**
   * Called with the typed reason (`ERR_AUTH_FAILED`, `ERR_AUTH_PROTOCOL`, `ERR_AUTH_TIMEOUT`,
   * `ERR_AUTH_CONNECTION`) just before `serverAuthenticate` resolves `false`, for logs.
   */
  onFailure?: (error: NetError) => void;
}

/** Defaults of {@link AuthenticateOptions}. */
export const AUTHENTICATE_DEFAULTS = {
  /** HMAC-SHA256. */
  digest: 'sha256',
  /** 32 random bytes, like the recipe. */
  challengeLength: 32,
  /** 10 s for the whole handshake. */
  timeout: 10_000,
  /** One-way: only the client proves it holds the key. */
  mutual: false,
} as const satisfies Required<Omit<AuthenticateOptions, 'signal'>>;

const RECIPE_DIGESTS: readonly string[] = ['sha256', 'sha384', 'sha512', 'sha1', 'md5'];

/** Options with their defaults (`undefined` = the default), validated with core's checks. */
function settings(options: ServerAuthenticateOptions) {
  const merged = withDefaults(AUTHENTICATE_DEFAULTS, options);
  const digest: RecipeDigest = merged.digest;
  const challengeLength: number = merged.challengeLength;
  if (!RECIPE_DIGESTS.includes(digest)) {
    throw new InvalidArgumentError(
      `digest must be one of ${RECIPE_DIGESTS.join(', ')}, got ${String(digest)}`,
    );
  }
  checkCount('challengeLength', challengeLength, 16);
  if (challengeLength > 1024) {
    throw new InvalidArgumentError(
      `challengeLength must be an integer from 16 to 1024, got ${challengeLength}`,
    );
  }
  checkMs('timeout', merged.timeout);
  checkSignal('signal', options.signal);
  checkBoolean('mutual', merged.mutual);
  checkOptionalFunction('onFailure', options.onFailure);
  return {
    digest,
    challengeLength,
    size: digestSize(digest),
    timeout: merged.timeout as number,
    signal: options.signal,
    mutual: merged.mutual as boolean,
    onFailure: options.onFailure,
  };
}

/**
 * The server side of recipe 11.9, on a connection that just opened: sends a fresh random
 * challenge, reads the client's raw HMAC digest and compares it in constant time.
 *
 * Resolves `true` when the client proved it holds `secretKey`, and `false` when the peer
 * failed to authenticate for any reason it caused (wrong digest, short reply, silence past
 * `timeout`, connection reset); `onFailure` receives the typed reason. It rejects only
 * for the caller's own doing: invalid arguments (`ERR_INVALID_ARGUMENT`) or an aborted
 * `signal` (`ERR_ABORTED`). The connection is left open either way: close it on `false`.
 * Bytes the client sent after its digest stay readable (a Duplex is released with unshift).
 */
export async function serverAuthenticate(
  socket: ByteTransport,
  secretKey: SecretKey,
  options: ServerAuthenticateOptions = {},
): Promise<boolean> {
  const config = settings(options);
  const { digest, size, challengeLength, mutual, onFailure } = config;
  try {
    await runHandshake(
      config,
      secretKey,
      (deadline) => openByteTransport(socket, deadline),
      async (transport, key, deadline) => {
        const challenge = randomChallenge(challengeLength);
        deadline.enter('sending the challenge');
        await transport.write(challenge);
        deadline.enter('reading the client digest');
        const reply = await transport.readExactly(size + (mutual ? challengeLength : 0));
        if (!digestsEqualPrefix(hmac(digest, key, challenge), reply)) {
          throw new AuthenticationFailedError('client');
        }
        if (mutual) {
          const proof = hmac(digest, key, reply.subarray(size), challenge);
          deadline.enter('sending the server proof');
          await transport.write(proof);
        }
      },
    );
    return true;
  } catch (error) {
    const reason = error as NetError;
    if (reason.code === 'ERR_ABORTED' || reason.code === 'ERR_INVALID_ARGUMENT') throw reason;
    onFailure?.(reason);
    return false;
  }
}

/**
 * The client side of recipe 11.9, right after connecting: reads the server's challenge and
 * sends the raw HMAC digest of it (in `mutual` mode also its own challenge, then checks the
 * server's proof). Resolves once the digest is written; the recipe has no acknowledgement,
 * so a server that refuses simply closes the connection. Rejects with a typed error:
 * `ERR_AUTH_TIMEOUT`, `ERR_ABORTED`, `ERR_AUTH_PROTOCOL` (closed early),
 * `ERR_AUTH_CONNECTION`, or `ERR_AUTH_FAILED` when the server's mutual proof is wrong.
 */
export async function clientAuthenticate(
  socket: ByteTransport,
  secretKey: SecretKey,
  options: AuthenticateOptions = {},
): Promise<void> {
  const config = settings(options);
  const { digest, size, challengeLength, mutual } = config;
  await runHandshake(
    config,
    secretKey,
    (deadline) => openByteTransport(socket, deadline),
    async (transport, key, deadline) => {
      deadline.enter('reading the server challenge');
      const challenge = await transport.readExactly(challengeLength);
      const response = hmac(digest, key, challenge);
      if (!mutual) {
        deadline.enter('sending the digest');
        await transport.write(response);
        return;
      }
      const ours = randomChallenge(challengeLength);
      deadline.enter('sending the digest and client challenge');
      await transport.write(Buffer.concat([response, ours]));
      deadline.enter('reading the server proof');
      const proof = await transport.readExactly(size);
      if (!digestsEqualPrefix(hmac(digest, key, ours, challenge), proof)) {
        throw new AuthenticationFailedError('server');
      }
    },
  );
}

/** Compares `expected` with the first `expected.byteLength` bytes of `received`. */
function digestsEqualPrefix(expected: Uint8Array, received: Uint8Array): boolean {
  return digestsEqual(expected, received.subarray(0, expected.byteLength));
}
