/**
 * Counters of every endpoint, as `/stats` shows them. The stream endpoints (tcp, tls, bulk,
 * ipc) read theirs from their package's `stats()`; udp, time and http own one plain object
 * of numbers (cheap to bump, cheap to read).
 */

/** Counters every endpoint keeps. */
export interface EndpointCounters {
  /** Connections (or datagrams, or requests) accepted. */
  accepted: number;
  /** Connections open now (stream endpoints). */
  active: number;
  /** Connections or requests refused (limits, load shedding). */
  refused: number;
  /** Clients that failed: bad input, wrong key, timeouts, resets. */
  failed: number;
  /**
   * Bytes received and sent: on stream endpoints as the package counts them (wire bytes,
   * handshakes and headers included); on udp, time and http the payload bytes.
   */
  bytesIn: number;
  bytesOut: number;
  /**
   * Units of work echoed: datagrams (udp, time), arrays (bulk), messages (ipc), requests
   * answered (http), reads echoed (tcp, tls).
   */
  messages: number;
  /** Peers that failed authentication (tcp: wrong HMAC answer; ipc: wrong authkey). */
  authFailures: number;
}

/** A fresh set of counters, all zero. */
export function createCounters(): EndpointCounters {
  return {
    accepted: 0,
    active: 0,
    refused: 0,
    failed: 0,
    bytesIn: 0,
    bytesOut: 0,
    messages: 0,
    authFailures: 0,
  };
}

/** The lifecycle figures every `@net` stream server reports (`@net/tcp-server`'s `stats()`). */
export interface LifecycleStats {
  active: number;
  accepted: number;
  refused: number;
  timeouts: number;
  bytesIn: number;
  bytesOut: number;
  handlerErrors: number;
  socketErrors: number;
  handshakeFailures: number;
}

/**
 * A stream endpoint's counters, read from its package's `stats()`: the service keeps no
 * connection counters of its own. `failed` is handler errors, failed first phases and
 * timeouts; `authFailures` is the failed first phases of endpoints whose first phase is
 * an authentication (tcp, ipc).
 */
export function lifecycleCounters(
  stats: LifecycleStats,
  messages: number,
  authenticates: boolean,
): EndpointCounters {
  return {
    accepted: stats.accepted,
    active: stats.active,
    refused: stats.refused,
    failed: stats.handlerErrors + stats.handshakeFailures + stats.timeouts,
    bytesIn: stats.bytesIn,
    bytesOut: stats.bytesOut,
    messages,
    authFailures: authenticates ? stats.handshakeFailures : 0,
  };
}

/** Something `/stats` can read: an endpoint's counters, and whatever its package reports. */
export type StatsSource = () => EndpointCounters & { detail?: unknown };

/** Reads every endpoint's figures now. */
export function readStats(sources: Record<string, StatsSource>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, read] of Object.entries(sources)) out[name] = read();
  return out;
}
