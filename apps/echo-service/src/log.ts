/**
 * The echo service's logger: one line per event on stderr, human text by default or JSON
 * through pino.
 *
 * Two things a hostile peer could otherwise do to the log are ruled out here. A failure a
 * peer can repeat at will (a failed handshake, bad input, a timeout) is logged in full once
 * per (endpoint, event) and window; the rest of that window is counted and written as one
 * summary line, so a flood of bad clients cannot become a flood of synchronous writes. And
 * everything a peer controls is escaped, so it cannot break a line or forge the next one.
 *
 * @example
 * ```ts
 * import { createLogger } from './log.js';
 *
 * const logger = createLogger({ format: 'json' });
 * logger.info('tcp', 'ready', 'listening on 127.0.0.1:7007', { port: 7007 });
 * socket.on('error', (error) =>
 *   logger.failure('tls', 'handshake_failed', error, { remoteAddress: socket.remoteAddress }),
 * );
 * process.on('exit', () => logger.flush());
 * ```
 */
import { isNativeError } from 'node:util/types';
import { checkMs, InvalidArgumentError } from '@net/core';
import pino from 'pino';

/** How lines are written: `text` for people (the default), `json` for log collectors. */
export type LogFormat = 'text' | 'json';

/** Every {@link LogFormat}, for option parsing and help texts. */
export const LOG_FORMATS: readonly LogFormat[] = Object.freeze<LogFormat[]>(['text', 'json']);

/** The level of one line. */
export type LogLevel = 'info' | 'warn' | 'error';

/** Extra fields of one line; undefined values are left out. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** Default length of one failure summary window, in ms. */
export const LOG_SUMMARY_INTERVAL_MS = 10_000;

/** Options of {@link createLogger}; `undefined` means the default. */
export interface LoggerOptions {
  /** Line format; default `'text'`. */
  format?: LogFormat;
  /** Where lines go; default: stderr (fd 2), written synchronously. */
  stream?: { write(chunk: string): unknown };
  /** ms of one summary window; default {@link LOG_SUMMARY_INTERVAL_MS}. */
  summaryInterval?: number;
}

/**
 * The service's logger. `endpoint` names where it happened ('tcp', 'tls', 'udp', 'time',
 * 'http', 'bulk', 'ipc', 'service'), `event` what happened, as a short snake_case name
 * chosen by our code ('ready', 'handshake_failed', 'worker_exit'). Fields named like a
 * line's own keys (`time`, `level`, `endpoint`, `event`, `msg`) are left out, so that they
 * cannot overwrite them. No method throws: a line that cannot be written is dropped.
 */
export interface Logger {
  /** The format lines are written in (a child process logs in the same one). */
  readonly format: LogFormat;
  info(endpoint: string, event: string, message: string, fields?: LogFields): void;
  warn(endpoint: string, event: string, message: string, fields?: LogFields): void;
  error(endpoint: string, event: string, message: string, fields?: LogFields): void;
  /**
   * A failure a peer can repeat at will (failed handshake, bad input, timeout): the first
   * of each (endpoint, event) in a window is logged in full; the others in that window are
   * counted and written as ONE summary line when the window ends.
   *
   * Both lines are at `warn`: the peer failed, not the service. `fields` (say
   * `remoteAddress`) appear on the full line only.
   */
  failure(endpoint: string, event: string, error: unknown, fields?: LogFields): void;
  /** Writes pending summaries now and stops the window timers (called at shutdown). */
  flush(): void;
  /** Lines written and failures folded into summaries so far. */
  stats(): { lines: number; suppressed: number };
}

// Bounds the tally of a window, since an error code may come from far away.
const MAX_CODES_PER_WINDOW = 16;

/** The tally bucket of failures without a code, and of codes past the per-window limit. */
const OTHER_CODE = 'other';

// A line's own keys in JSON; a field of the same name would give the line two of them.
const LINE_KEYS: ReadonlySet<string> = new Set(['time', 'level', 'endpoint', 'event', 'msg']);

// If stderr breaks for good (not EPIPE, which pino handles), sonic-boom keeps the unwritten
// lines; past this many bytes it drops new ones instead of growing without end.
const STDERR_BUFFER_LIMIT = 1_048_576;

/**
 * Creates the service's logger.
 *
 * @throws InvalidArgumentError (`ERR_INVALID_ARGUMENT`) for an unknown `format`, a
 *   `summaryInterval` that is not a number of ms from 1 to 2³¹−1, or a `stream` without
 *   `write`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'text';
  if (!LOG_FORMATS.includes(format)) {
    throw new InvalidArgumentError(
      `format must be one of ${LOG_FORMATS.join(', ')}, got ${describeOption(format)}`,
    );
  }
  const summaryInterval = options.summaryInterval ?? LOG_SUMMARY_INTERVAL_MS;
  checkMs('summaryInterval', summaryInterval); // a number, within Node's timer range
  if (summaryInterval < 1) {
    throw new InvalidArgumentError(
      `summaryInterval must be at least 1 ms (a window has a length), got ${summaryInterval}`,
    );
  }
  if (options.stream !== undefined && typeof options.stream?.write !== 'function') {
    throw new InvalidArgumentError('stream must be an object with a write(chunk) method');
  }

  const stream = options.stream ?? createStderrDestination();
  const writeRecord = format === 'json' ? createJsonWriter(stream) : createTextWriter(stream);
  const windows = new Map<string, FailureWindow>();
  let lines = 0;
  let suppressed = 0;

  function write(record: LogRecord): void {
    try {
      writeRecord(record);
      lines += 1;
    } catch {
      // A log call must never turn into the caller's exception; the line is lost.
    }
  }

  function endWindow(key: string): void {
    const window = windows.get(key);
    if (window === undefined) return;
    windows.delete(key);
    clearTimeout(window.timer);
    if (window.suppressed > 0) write(summaryRecord(window, summaryInterval));
  }

  function failure(endpoint: string, event: string, error: unknown, fields?: LogFields): void {
    try {
      const key = `${endpoint}\0${event}`; // both chosen by our code, never by a peer
      const code = errorCode(error);
      const window = windows.get(key);
      if (window !== undefined) {
        window.suppressed += 1;
        suppressed += 1;
        countCode(window.codes, code);
        return;
      }
      // The window runs from its first failure; unref'd, so it never keeps the process up.
      const timer = setTimeout(() => {
        try {
          endWindow(key);
        } catch {
          // An exception in a timer would crash the process.
        }
      }, summaryInterval);
      timer.unref?.();
      windows.set(key, { endpoint, event, suppressed: 0, codes: new Map(), timer });
      write({
        level: 'warn',
        endpoint,
        event,
        message: failureMessage(event, code, error),
        fields,
        jsonOnly: code === undefined ? undefined : { code },
      });
    } catch {
      // Same as write(): never throw into the caller.
    }
  }

  const lineAt =
    (level: LogLevel) =>
    (endpoint: string, event: string, message: string, fields?: LogFields): void =>
      write({ level, endpoint, event, message, fields });

  return {
    format,
    info: lineAt('info'),
    warn: lineAt('warn'),
    error: lineAt('error'),
    failure,
    flush() {
      for (const key of [...windows.keys()]) endWindow(key);
    },
    stats: () => ({ lines, suppressed }),
  };
}

/**
 * `text` with control characters, DEL, C1, U+2028/U+2029 and backslash escaped (\n, \r, \t,
 * \\, \xNN, \uNNNN): one line, whatever a peer sent.
 */
export function escapeForLog(text: string): string {
  let escaped = '';
  let copiedUpTo = 0;
  for (let index = 0; index < text.length; index += 1) {
    const replacement = escapeOf(text.charCodeAt(index));
    if (replacement === undefined) continue;
    escaped += text.slice(copiedUpTo, index) + replacement;
    copiedUpTo = index + 1;
  }
  return copiedUpTo === 0 ? text : escaped + text.slice(copiedUpTo);
}

function escapeOf(charCode: number): string | undefined {
  // Printable ASCII other than the backslash, the common case, first.
  if (charCode >= 0x20 && charCode < 0x7f && charCode !== 0x5c) return undefined;
  switch (charCode) {
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x5c:
      return '\\\\';
    case 0x2028:
    case 0x2029:
      return `\\u${charCode.toString(16)}`;
  }
  if (charCode < 0x20 || (charCode >= 0x7f && charCode <= 0x9f)) {
    return `\\x${charCode.toString(16).padStart(2, '0')}`;
  }
  return undefined;
}

/** One line to write, before formatting. */
interface LogRecord {
  level: LogLevel;
  endpoint: string;
  event: string;
  message: string;
  /** Shown in both formats. */
  fields: LogFields | undefined;
  /** JSON only: facts the text line already carries in its message. */
  jsonOnly?: Record<string, unknown> | undefined;
}

/** The failures of one (endpoint, event) since the first of the window was logged. */
interface FailureWindow {
  readonly endpoint: string;
  readonly event: string;
  suppressed: number;
  /** Suppressed failures per code, at most MAX_CODES_PER_WINDOW codes plus OTHER_CODE. */
  readonly codes: Map<string, number>;
  readonly timer: ReturnType<typeof setTimeout>;
}

type LineStream = NonNullable<LoggerOptions['stream']>;

function createStderrDestination(): LineStream {
  const destination = pino.destination({ dest: 2, sync: true, maxLength: STDERR_BUFFER_LIMIT });
  // A write error is emitted, not thrown; without a listener it would crash the process.
  destination.on('error', () => {});
  return destination;
}

function createTextWriter(stream: LineStream): (record: LogRecord) => void {
  return (record) => {
    let line = `net-echo: ${escapeForLog(record.endpoint)}: ${escapeForLog(record.message)}`;
    for (const [key, value] of usableFields(record.fields)) {
      line += ` ${escapeForLog(key)}=${formatTextValue(value)}`;
    }
    stream.write(`${line}\n`);
  };
}

function formatTextValue(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  const escaped = escapeForLog(value);
  // Quoted like a JSON string (backslashes are already doubled), so `key=value` pairs stay
  // unambiguous whatever the value holds.
  if (escaped === '' || /[ ="]/.test(escaped)) return `"${escaped.replaceAll('"', '\\"')}"`;
  return escaped;
}

function createJsonWriter(stream: LineStream): (record: LogRecord) => void {
  const jsonLogger = pino(
    {
      level: 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  return (record) => {
    const object: Record<string, unknown> = { endpoint: record.endpoint, event: record.event };
    for (const [key, value] of usableFields(record.fields)) object[key] = value;
    Object.assign(object, record.jsonOnly);
    jsonLogger[record.level](object, record.message);
  };
}

function usableFields(fields: LogFields | undefined): [string, string | number | boolean | null][] {
  if (fields === undefined) return [];
  const usable: [string, string | number | boolean | null][] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && !LINE_KEYS.has(key)) usable.push([key, value]);
  }
  return usable;
}

/** The error's `code` when it has a non-empty string one (Node's, or a NetError's). */
function errorCode(error: unknown): string | undefined {
  if ((typeof error !== 'object' && typeof error !== 'function') || error === null) {
    return undefined;
  }
  try {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && code !== '' ? code : undefined;
  } catch {
    return undefined; // a getter or Proxy that throws
  }
}

/** `handshake failed: ECONNRESET: read ECONNRESET`, or without the code when there is none. */
function failureMessage(event: string, code: string | undefined, error: unknown): string {
  const what = event.replaceAll('_', ' ');
  const detail = errorText(error);
  return code === undefined ? `${what}: ${detail}` : `${what}: ${code}: ${detail}`;
}

function errorText(error: unknown): string {
  try {
    if (error instanceof Error || isNativeError(error)) {
      // Some errors carry no message (Node's AggregateError from connect); the name says more.
      return error.message === '' ? error.name : error.message;
    }
    return String(error);
  } catch {
    return 'unprintable value'; // Object.create(null), a throwing toString()
  }
}

function countCode(codes: Map<string, number>, code: string | undefined): void {
  let bucket = code ?? OTHER_CODE;
  const known = codes.has(bucket);
  if (!known && bucket !== OTHER_CODE) {
    const distinctCodes = codes.size - (codes.has(OTHER_CODE) ? 1 : 0);
    if (distinctCodes >= MAX_CODES_PER_WINDOW) bucket = OTHER_CODE;
  }
  codes.set(bucket, (codes.get(bucket) ?? 0) + 1);
}

function summaryRecord(window: FailureWindow, summaryInterval: number): LogRecord {
  const count = window.suppressed;
  const tally = [...window.codes].sort((a, b) => b[1] - a[1]);
  const windowSeconds = summaryInterval / 1000;
  const subject = window.event.replace(/_(failed|failures?|errors?)$/, '').replaceAll('_', ' ');
  const codesText = tally.map(([code, n]) => `${code} ${n.toLocaleString('en-US')}`).join(', ');
  const message =
    `${count.toLocaleString('en-US')} more ${subject} ${count === 1 ? 'failure' : 'failures'} ` +
    `in the last ${windowSeconds.toLocaleString('en-US', { maximumFractionDigits: 3 })} s (${codesText})`;
  return {
    level: 'warn',
    endpoint: window.endpoint,
    event: `${window.event}_summary`,
    message,
    fields: undefined,
    jsonOnly: { count, windowSeconds, codes: Object.fromEntries(tally) },
  };
}

function describeOption(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
