/**
 * The authentication handshake of Python's `multiprocessing.connection`, over its
 * length-prefixed messages: `deliverChallenge` is what `Listener.accept()` runs first,
 * `answerChallenge` what `Client()` runs first. Compatible with Python up to 3.11 (20-byte
 * challenge, raw HMAC-MD5) and 3.12+ (`{digest}`-prefixed challenge and reply).
 */
import { checkMs, checkSignal, withDefaults } from '@net/core';
import { type HandshakeDeadline, runHandshake } from './deadline.js';
import { digestsEqual, hmac, type MultiprocessingDigest, type SecretKey } from './digests.js';
import {
  AuthenticationFailedError,
  AuthenticationRejectedError,
  HandshakeProtocolError,
  InvalidArgumentError,
  UnsupportedDigestError,
} from './errors.js';
import { randomChallenge } from './random.js';
import {
  type MessageTransport,
  type OpenedMessageTransport,
  openMessageTransport,
} from './transport.js';

const CHALLENGE = Buffer.from('#CHALLENGE#');
const WELCOME = Buffer.from('#WELCOME#');
const FAILURE = Buffer.from('#FAILURE#');
/** Python refuses handshake messages longer than this (`recv_bytes(256)`). */
const MAX_MESSAGE = 256;
/** Random bytes in a 3.12+ challenge (`MESSAGE_LENGTH`) and in a legacy one. */
const MODERN_RANDOM = 40;
const LEGACY_RANDOM = 20;
/** Unprefixed messages of these lengths mean legacy HMAC-MD5 (`_LEGACY_LENGTHS`). */
const LEGACY_LENGTHS = [LEGACY_RANDOM, 16];
const PYTHON_DIGESTS: readonly MultiprocessingDigest[] = [
  'md5',
  'sha256',
  'sha384',
  'sha3_256',
  'sha3_384',
];
const MAX_DIGEST_NAME = 8; // len('sha3_256')

/** Options of {@link deliverChallenge} and {@link answerChallenge}. */
export interface ChallengeOptions {
  /** Digests accepted from the peer. Default: Python 3.12's set, md5 included (legacy peers). */
  acceptDigests?: readonly MultiprocessingDigest[];
  /** Milliseconds for the whole handshake, `0` for none. Default `10000`. */
  timeout?: number;
  /** Cancels the handshake; it then rejects with `ERR_ABORTED` (core's `AbortedError`). */
  signal?: AbortSignal;
}

/** Options of {@link deliverChallenge}. */
export interface DeliverChallengeOptions extends ChallengeOptions {
  /**
   * `'modern'` (default): Python 3.12+'s `{digest}` + 40 random bytes challenge, which
   * Python ≤3.11 clients also answer (with HMAC-MD5). `'legacy'`: 20 random bytes, as
   * Python ≤3.11 servers send.
   */
  protocol?: 'modern' | 'legacy';
  /** The digest a modern challenge asks for. Default `'sha256'`. */
  digest?: MultiprocessingDigest;
}

/** Defaults of {@link DeliverChallengeOptions} and {@link ChallengeOptions}. */
export const CHALLENGE_DEFAULTS = {
  /** Python 3.12+'s challenge. */
  protocol: 'modern',
  /** HMAC-SHA256, as Python 3.12+. */
  digest: 'sha256',
  /** Python 3.12's set: md5, sha256, sha384, sha3_256, sha3_384. */
  acceptDigests: PYTHON_DIGESTS,
  /** 10 s for the whole handshake. */
  timeout: 10_000,
} as const satisfies Required<Omit<DeliverChallengeOptions, 'signal'>>;

/** Options with their defaults, validated. */
function settings(options: DeliverChallengeOptions) {
  const merged = withDefaults(CHALLENGE_DEFAULTS, options);
  const config = {
    protocol: merged.protocol as 'modern' | 'legacy',
    digest: merged.digest as MultiprocessingDigest,
    acceptDigests: merged.acceptDigests as readonly MultiprocessingDigest[],
    timeout: merged.timeout as number,
    signal: options.signal,
  };
  checkMs('timeout', config.timeout);
  checkSignal('signal', config.signal);
  if (config.protocol !== 'modern' && config.protocol !== 'legacy') {
    throw new InvalidArgumentError(
      `protocol must be 'modern' or 'legacy', got ${String(config.protocol)}`,
    );
  }
  for (const name of [config.digest, ...config.acceptDigests]) {
    if (!PYTHON_DIGESTS.includes(name)) {
      throw new InvalidArgumentError(
        `Unknown digest "${name}"; use one of ${PYTHON_DIGESTS.join(', ')}`,
      );
    }
  }
  return config;
}

/**
 * Splits a challenge or reply into its digest name and payload, as Python 3.12's
 * `_get_digest_name_and_payload` does: unprefixed 16/20-byte messages are legacy MD5.
 */
function parseDigestPrefix(message: Buffer): { digest: string; payload: Buffer } {
  if (LEGACY_LENGTHS.includes(message.byteLength)) return { digest: 'md5', payload: message };
  if (message[0] === 0x7b /* { */) {
    const close = message.subarray(0, MAX_DIGEST_NAME + 2).indexOf(0x7d /* } */, 1);
    if (close > 0) {
      return { digest: message.toString('latin1', 1, close), payload: message.subarray(close + 1) };
    }
  }
  throw new HandshakeProtocolError(
    `Handshake message of ${message.byteLength} bytes has neither a legacy length (16 or 20) ` +
      'nor a {digest} prefix; the peer does not speak multiprocessing authentication',
  );
}

function checkAccepted(digest: string, accepted: readonly string[]): MultiprocessingDigest {
  if (!accepted.includes(digest)) throw new UnsupportedDigestError(digest, accepted);
  return digest as MultiprocessingDigest;
}

/** Receives one handshake message (at most 256 bytes, like Python's `recv_bytes(256)`). */
async function receive(
  transport: OpenedMessageTransport,
  deadline: HandshakeDeadline,
  step: string,
): Promise<Buffer> {
  deadline.enter(step);
  const message = await transport.recv(MAX_MESSAGE);
  // A view, not a copy: the handshake only reads it.
  return Buffer.isBuffer(message)
    ? message
    : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
}

/** Sends one handshake message. */
async function send(
  transport: OpenedMessageTransport,
  deadline: HandshakeDeadline,
  step: string,
  message: Uint8Array,
): Promise<void> {
  deadline.enter(step);
  await transport.write(message);
}

/**
 * The serving side of multiprocessing's handshake (Python's `deliver_challenge`): sends
 * `#CHALLENGE#` with fresh random bytes, verifies the peer's HMAC reply in constant time and
 * answers `#WELCOME#`, or `#FAILURE#` and rejects. `Listener.accept()` runs this first and
 * then {@link answerChallenge}. Rejects with `ERR_AUTH_FAILED` (wrong key),
 * `ERR_AUTH_UNSUPPORTED_DIGEST`, `ERR_AUTH_PROTOCOL` (closed early, reply over 256 bytes,
 * malformed), `ERR_AUTH_TIMEOUT`, `ERR_ABORTED` or `ERR_AUTH_CONNECTION`.
 */
export async function deliverChallenge(
  conn: MessageTransport,
  authkey: SecretKey,
  options: DeliverChallengeOptions = {},
): Promise<void> {
  const config = settings(options);
  await runHandshake(
    config,
    authkey,
    (deadline) => openMessageTransport(conn, deadline),
    async (transport, key, deadline) => {
      const message =
        config.protocol === 'legacy'
          ? randomChallenge(LEGACY_RANDOM)
          : Buffer.concat([Buffer.from(`{${config.digest}}`), randomChallenge(MODERN_RANDOM)]);
      await send(transport, deadline, 'sending the challenge', Buffer.concat([CHALLENGE, message]));
      const reply = await receive(transport, deadline, 'reading the digest');
      try {
        const { digest, payload } = parseDigestPrefix(reply);
        const expected = hmac(checkAccepted(digest, config.acceptDigests), key, message);
        if (!digestsEqual(expected, payload)) throw new AuthenticationFailedError('client');
      } catch (error) {
        await send(transport, deadline, 'sending #FAILURE#', FAILURE);
        throw error;
      }
      await send(transport, deadline, 'sending #WELCOME#', WELCOME);
    },
  );
}

/**
 * The connecting side of multiprocessing's handshake (Python's `answer_challenge`): reads
 * `#CHALLENGE#`, answers with the HMAC the challenge asks for (raw HMAC-MD5 for a legacy
 * 20-byte challenge, `{digest}`-prefixed otherwise) and expects `#WELCOME#`. `Client()`
 * runs this first and then {@link deliverChallenge}. Rejects with `ERR_AUTH_REJECTED` on
 * `#FAILURE#`, `ERR_AUTH_UNSUPPORTED_DIGEST`, `ERR_AUTH_PROTOCOL`, `ERR_AUTH_TIMEOUT`,
 * `ERR_ABORTED` or `ERR_AUTH_CONNECTION`.
 */
export async function answerChallenge(
  conn: MessageTransport,
  authkey: SecretKey,
  options: ChallengeOptions = {},
): Promise<void> {
  const config = settings(options);
  await runHandshake(
    config,
    authkey,
    (deadline) => openMessageTransport(conn, deadline),
    async (transport, key, deadline) => {
      const received = await receive(transport, deadline, 'reading the challenge');
      if (!received.subarray(0, CHALLENGE.byteLength).equals(CHALLENGE)) {
        throw new HandshakeProtocolError(
          `Expected a #CHALLENGE# message, got ${received.byteLength} other bytes; ` +
            'the peer is not a multiprocessing listener with an authkey',
        );
      }
      const message = received.subarray(CHALLENGE.byteLength);
      if (message.byteLength < LEGACY_RANDOM) {
        throw new HandshakeProtocolError(
          `Challenge of ${message.byteLength} bytes is too short (at least ${LEGACY_RANDOM})`,
        );
      }
      const { digest } = parseDigestPrefix(message);
      const accepted = checkAccepted(digest, config.acceptDigests);
      const mac = hmac(accepted, key, message);
      const legacy = LEGACY_LENGTHS.includes(message.byteLength);
      const reply = legacy ? mac : Buffer.concat([Buffer.from(`{${accepted}}`), mac]);
      await send(transport, deadline, 'sending the digest', reply);
      const answer = await receive(transport, deadline, 'reading #WELCOME#');
      if (answer.equals(WELCOME)) return;
      if (answer.equals(FAILURE)) throw new AuthenticationRejectedError();
      throw new HandshakeProtocolError(
        `Expected #WELCOME# or #FAILURE#, got ${answer.byteLength} other bytes`,
      );
    },
  );
}
