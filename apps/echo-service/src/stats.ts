/**
 * Counters of every endpoint. Each endpoint owns one plain object of numbers (cheap to
 * bump, cheap to read); `/stats` merges them with the packages' own `stats()`.
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
  /** Payload bytes received and sent back. */
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

/** Something `/stats` can read: its counters plus whatever the package reports. */
export interface StatsSource {
  counters: EndpointCounters;
  /**
   * Extra figures (a package's `stats()`), merged under `detail`. Called before the
   * counters are read, so it may refresh them (the tcp worker pool does).
   */
  detail?: () => unknown;
}

/** Reads every endpoint's figures now. */
export function readStats(sources: Record<string, StatsSource>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, source] of Object.entries(sources)) {
    const detail = source.detail ? source.detail() : undefined;
    out[name] = { ...source.counters, detail };
  }
  return out;
}
