/**
 * multiprocessing's authentication over a {@link Connection}, in the order Python runs it:
 * `Listener.accept()` delivers a challenge then answers one; `Client()` answers then
 * delivers. Both halves share one deadline (`handshakeTimeout`).
 */
import {
  answerChallenge,
  deliverChallenge,
  type MultiprocessingDigest,
  type SecretKey,
} from '@net/hmac-auth';
import type { Connection } from './connection.js';
import { IPC_DEFAULTS } from './options.js';

/** What a handshake needs besides the key. */
export interface HandshakeSettings {
  timeout: number;
  signal?: AbortSignal;
  protocol?: 'modern' | 'legacy';
  digest?: MultiprocessingDigest;
  acceptDigests?: readonly MultiprocessingDigest[];
}

export async function authenticateAccepted(
  conn: Connection,
  authkey: SecretKey,
  settings: HandshakeSettings,
): Promise<void> {
  const left = deadline(settings.timeout);
  await deliverChallenge(conn, authkey, {
    ...common(settings, left()),
    protocol: settings.protocol ?? IPC_DEFAULTS.protocol,
    digest: settings.digest ?? IPC_DEFAULTS.digest,
  });
  await answerChallenge(conn, authkey, common(settings, left()));
}

export async function authenticateClient(
  conn: Connection,
  authkey: SecretKey,
  settings: HandshakeSettings,
): Promise<void> {
  const left = deadline(settings.timeout);
  await answerChallenge(conn, authkey, common(settings, left()));
  await deliverChallenge(conn, authkey, {
    ...common(settings, left()),
    protocol: settings.protocol ?? IPC_DEFAULTS.protocol,
    digest: settings.digest ?? IPC_DEFAULTS.digest,
  });
}

function common(settings: HandshakeSettings, timeout: number) {
  return {
    timeout,
    ...(settings.signal ? { signal: settings.signal } : {}),
    ...(settings.acceptDigests ? { acceptDigests: settings.acceptDigests } : {}),
  };
}

/** Ms left until `timeout` from now (at least 1, so a spent budget still times out; 0 = none). */
export function deadline(timeout: number): () => number {
  if (timeout === 0) return () => 0;
  const end = performance.now() + timeout;
  return () => Math.max(1, Math.ceil(end - performance.now()));
}
