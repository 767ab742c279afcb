/** The service logger: text and JSON lines, failure summaries, escaping, never throwing. */

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createLogger,
  escapeForLog,
  LOG_FORMATS,
  LOG_SUMMARY_INTERVAL_MS,
  type LogFormat,
  type LoggerOptions,
} from '../src/log.js';

/** A logger whose lines are kept in `lines`, one chunk per write. */
function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...options, stream: { write: (chunk) => lines.push(chunk) } });
  return { lines, logger };
}

function parse(line: string | undefined): Record<string, unknown> {
  expect(line).toBeDefined();
  return JSON.parse(line!) as Record<string, unknown>;
}

/** Exactly one line: a single '\n', at the end, and no other line terminator. */
function expectOneLine(chunk: string | undefined): void {
  expect(chunk).toBeDefined();
  expect(chunk!.endsWith('\n')).toBe(true);
  expect(chunk!.indexOf('\n')).toBe(chunk!.length - 1);
  expect(chunk).not.toContain('\r');
}

/** No character a terminal or log viewer could take for a line break, in text output. */
function expectNoLineBreaks(chunk: string): void {
  for (const breaker of ['\r', '\u000b', '\u000c', '\u0085', '\u2028', '\u2029']) {
    expect(chunk).not.toContain(breaker);
  }
  expectOneLine(chunk);
}

function errorWithCode(code: string | undefined, message: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('escapeForLog', () => {
  it('escapes control characters, DEL, C1, U+2028/U+2029 and backslash', () => {
    expect(escapeForLog('a\nb')).toBe('a\\nb');
    expect(escapeForLog('\r\n{x}')).toBe('\\r\\n{x}');
    expect(escapeForLog('\t')).toBe('\\t');
    expect(escapeForLog('back\\slash')).toBe('back\\\\slash');
    expect(escapeForLog('\u0000\u001b[31m\u007f\u0085\u009f')).toBe(
      '\\x00\\x1b[31m\\x7f\\x85\\x9f',
    );
    expect(escapeForLog('\u000b\u000c')).toBe('\\x0b\\x0c');
    expect(escapeForLog('\u2028\u2029')).toBe('\\u2028\\u2029');
  });

  it('leaves printable text alone, including non-ASCII', () => {
    const printable = 'handshake ok: sha256 ~ é ü 漢字 😀 \u00a0 \u00ff';
    expect(escapeForLog(printable)).toBe(printable);
    expect(escapeForLog('')).toBe('');
  });

  it('escapes every byte 0x00-0x1f, 0x7f-0x9f into printable ASCII', () => {
    for (let charCode = 0; charCode <= 0x9f; charCode += 1) {
      if (charCode >= 0x20 && charCode < 0x7f) continue;
      const escaped = escapeForLog(String.fromCharCode(charCode));
      expect(escaped, `char ${charCode}`).toMatch(/^\\(x[0-9a-f]{2}|[nrt])$/);
    }
  });
});

describe('text lines', () => {
  it('writes info, warn and error as `net-echo: <endpoint>: <message>` with fields', () => {
    const { lines, logger } = capture();
    logger.info('tcp', 'ready', 'listening on 127.0.0.1:7007', { port: 7007, tls: false });
    logger.warn('bulk', 'memory_low', 'bulk memory is 90% used', { used: 0.9, left: undefined });
    logger.error('service', 'worker_exit', 'worker 3 exited', { code: 1, signal: null });
    expect(lines).toEqual([
      'net-echo: tcp: listening on 127.0.0.1:7007 port=7007 tls=false\n',
      'net-echo: bulk: bulk memory is 90% used used=0.9\n',
      'net-echo: service: worker 3 exited code=1 signal=null\n',
    ]);
  });

  it('quotes field values with a space, "=", a quote, or nothing in them', () => {
    const { lines, logger } = capture();
    logger.info('http', 'request', 'GET /', {
      agent: 'curl 8.5',
      query: 'a=b',
      quote: 'say "hi"',
      empty: '',
      plain: 'x',
    });
    expect(lines).toEqual([
      'net-echo: http: GET / agent="curl 8.5" query="a=b" quote="say \\"hi\\"" empty="" plain=x\n',
    ]);
  });

  it('leaves out fields named like the line keys, so JSON lines keep theirs', () => {
    const { lines, logger } = capture();
    logger.info('tcp', 'ready', 'up', { msg: 'no', level: 'no', time: 'no', event: 'no', port: 1 });
    expect(lines).toEqual(['net-echo: tcp: up port=1\n']);
  });

  it('is the default format', () => {
    expect(LOG_FORMATS).toEqual(['text', 'json']);
    const { lines, logger } = capture({});
    logger.info('udp', 'ready', 'up');
    expect(lines).toEqual(['net-echo: udp: up\n']);
  });
});

describe('JSON lines', () => {
  it('writes one parseable object per line with time, level label, endpoint, event, msg, fields', () => {
    const { lines, logger } = capture({ format: 'json' });
    logger.info('tcp', 'ready', 'listening', {
      port: 7007,
      tls: false,
      note: null,
      gone: undefined,
    });
    logger.warn('bulk', 'memory_low', 'low');
    logger.error('service', 'worker_exit', 'exited', { code: 1 });
    expect(lines).toHaveLength(3);
    for (const line of lines) expectOneLine(line);

    const [info, warn, error] = lines.map(parse);
    expect(info).toMatchObject({
      level: 'info',
      endpoint: 'tcp',
      event: 'ready',
      msg: 'listening',
      port: 7007,
      tls: false,
      note: null,
    });
    expect(info).not.toHaveProperty('gone');
    expect(info).not.toHaveProperty('pid');
    expect(info).not.toHaveProperty('hostname');
    expect(warn).toMatchObject({
      level: 'warn',
      endpoint: 'bulk',
      event: 'memory_low',
      msg: 'low',
    });
    expect(error).toMatchObject({ level: 'error', event: 'worker_exit', code: 1 });
    for (const object of [info, warn, error]) {
      expect(typeof object!.time).toBe('string');
      expect(object!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Number.isNaN(Date.parse(object!.time as string))).toBe(false);
    }
  });

  it('keeps its own keys when a field is named like one', () => {
    const { lines, logger } = capture({ format: 'json' });
    logger.warn('tcp', 'ready', 'up', { level: 'fake', msg: 'fake', endpoint: 'fake' });
    const object = parse(lines[0]);
    expect(object).toMatchObject({ level: 'warn', msg: 'up', endpoint: 'tcp', event: 'ready' });
    expect(lines[0]!.match(/"level"/g)).toHaveLength(1);
  });

  it('writes a failure with its code and fields', () => {
    const { lines, logger } = capture({ format: 'json' });
    logger.failure('tls', 'handshake_failed', errorWithCode('ECONNRESET', 'read ECONNRESET'), {
      remoteAddress: '127.0.0.1',
    });
    expect(parse(lines[0])).toMatchObject({
      level: 'warn',
      endpoint: 'tls',
      event: 'handshake_failed',
      code: 'ECONNRESET',
      remoteAddress: '127.0.0.1',
      msg: 'handshake failed: ECONNRESET: read ECONNRESET',
    });
  });

  it('leaves printf-style sequences in messages alone', () => {
    const { lines, logger } = capture({ format: 'json' });
    logger.info('http', 'request', 'GET /%s%d%%');
    expect(parse(lines[0]).msg).toBe('GET /%s%d%%');
  });
});

describe('failures', () => {
  it('formats a failure with and without a code, and non-Error values', () => {
    const { lines, logger } = capture();
    const noRepeat = (event: string, error: unknown) => logger.failure('udp', event, error);
    noRepeat('handshake_failed', errorWithCode('ERR_HANDSHAKE_TIMEOUT', 'no reply in 10000 ms'));
    noRepeat('bad_input', new Error('frame too short'));
    noRepeat('e_string', 'just a string');
    noRepeat('e_number', 42);
    noRepeat('e_undefined', undefined);
    noRepeat('e_null', null);
    noRepeat('e_object', { code: 'ERR_PLAIN' });
    noRepeat('e_no_prototype', Object.create(null));
    noRepeat(
      'e_throwing',
      new Proxy(
        {},
        {
          get() {
            throw new Error('trap');
          },
        },
      ),
    );
    noRepeat('e_empty_message', new AggregateError([], ''));
    expect(lines).toEqual([
      'net-echo: udp: handshake failed: ERR_HANDSHAKE_TIMEOUT: no reply in 10000 ms\n',
      'net-echo: udp: bad input: frame too short\n',
      'net-echo: udp: e string: just a string\n',
      'net-echo: udp: e number: 42\n',
      'net-echo: udp: e undefined: undefined\n',
      'net-echo: udp: e null: null\n',
      'net-echo: udp: e object: ERR_PLAIN: [object Object]\n',
      'net-echo: udp: e no prototype: unprintable value\n',
      'net-echo: udp: e throwing: unprintable value\n',
      'net-echo: udp: e empty message: AggregateError\n',
    ]);
  });

  it('folds 1,000 failures of one key into 1 full line and 1 summary after the window', () => {
    const { lines, logger } = capture();
    for (let index = 0; index < 1_000; index += 1) {
      let code: string | undefined = 'ERR_HANDSHAKE_TIMEOUT';
      if (index % 40 === 0) code = 'ECONNRESET'; // 0, 40, …, 960: 1 full + 24 folded
      if (index % 100 === 50) code = undefined; // 50, 150, …, 950: 10, no code
      logger.failure('tls', 'handshake_failed', errorWithCode(code, 'failed'), {
        remoteAddress: `10.0.0.${index % 250}`,
      });
    }
    expect(lines).toEqual([
      'net-echo: tls: handshake failed: ECONNRESET: failed remoteAddress=10.0.0.0\n',
    ]);
    expect(logger.stats()).toEqual({ lines: 1, suppressed: 999 });

    vi.advanceTimersByTime(LOG_SUMMARY_INTERVAL_MS - 1);
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(
      'net-echo: tls: 999 more handshake failures in the last 10 s ' +
        '(ERR_HANDSHAKE_TIMEOUT 965, ECONNRESET 24, other 10)\n',
    );
    expect(logger.stats()).toEqual({ lines: 2, suppressed: 999 });

    vi.advanceTimersByTime(10 * LOG_SUMMARY_INTERVAL_MS);
    expect(lines).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('writes thousands separators and sorts codes by count', () => {
    const { lines, logger } = capture();
    logger.failure('tls', 'handshake_failed', errorWithCode('ECONNRESET', 'first'));
    for (let index = 0; index < 34; index += 1) {
      logger.failure('tls', 'handshake_failed', errorWithCode('ECONNRESET', 'reset'));
    }
    for (let index = 0; index < 1_200; index += 1) {
      logger.failure('tls', 'handshake_failed', errorWithCode('ERR_HANDSHAKE_TIMEOUT', 'slow'));
    }
    vi.advanceTimersByTime(LOG_SUMMARY_INTERVAL_MS);
    expect(lines[1]).toBe(
      'net-echo: tls: 1,234 more handshake failures in the last 10 s ' +
        '(ERR_HANDSHAKE_TIMEOUT 1,200, ECONNRESET 34)\n',
    );
  });

  it('writes a singular summary and the window in fractions of a second', () => {
    const { lines, logger } = capture({ summaryInterval: 50 });
    logger.failure('udp', 'bad_input', new Error('short'));
    logger.failure('udp', 'bad_input', new Error('short'));
    vi.advanceTimersByTime(50);
    expect(lines[1]).toBe('net-echo: udp: 1 more bad input failure in the last 0.05 s (other 1)\n');
  });

  it('writes no summary when nothing was folded', () => {
    const { lines, logger } = capture({ summaryInterval: 50 });
    logger.failure('udp', 'bad_input', new Error('once'));
    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(1);
    expect(logger.stats()).toEqual({ lines: 1, suppressed: 0 });
  });

  it('keeps a window per (endpoint, event)', () => {
    const { lines, logger } = capture({ summaryInterval: 50 });
    for (let index = 0; index < 3; index += 1) {
      logger.failure('tls', 'handshake_failed', new Error('a'));
      logger.failure('tls', 'handler_failed', new Error('b'));
      logger.failure('tcp', 'handshake_failed', new Error('c'));
    }
    expect(lines).toEqual([
      'net-echo: tls: handshake failed: a\n',
      'net-echo: tls: handler failed: b\n',
      'net-echo: tcp: handshake failed: c\n',
    ]);
    vi.advanceTimersByTime(50);
    expect(lines.slice(3)).toEqual([
      'net-echo: tls: 2 more handshake failures in the last 0.05 s (other 2)\n',
      'net-echo: tls: 2 more handler failures in the last 0.05 s (other 2)\n',
      'net-echo: tcp: 2 more handshake failures in the last 0.05 s (other 2)\n',
    ]);
    expect(logger.stats()).toEqual({ lines: 6, suppressed: 6 });
  });

  it('starts a window at its first failure, not at the previous window', () => {
    const { lines, logger } = capture({ summaryInterval: 50 });
    logger.failure('tcp', 'timeout', new Error('idle'));
    logger.failure('tcp', 'timeout', new Error('idle'));
    vi.advanceTimersByTime(50);
    expect(lines).toHaveLength(2);

    vi.advanceTimersByTime(30);
    logger.failure('tcp', 'timeout', new Error('idle again'));
    expect(lines[2]).toBe('net-echo: tcp: timeout: idle again\n');
    logger.failure('tcp', 'timeout', new Error('idle'));
    vi.advanceTimersByTime(49);
    expect(lines).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(lines[3]).toBe('net-echo: tcp: 1 more timeout failure in the last 0.05 s (other 1)\n');
    expect(logger.stats()).toEqual({ lines: 4, suppressed: 2 });
  });

  it('writes at most 2 lines per key per window, whatever the flood', () => {
    const { lines, logger } = capture({ summaryInterval: 50 });
    for (let window = 0; window < 5; window += 1) {
      for (let index = 0; index < 2_000; index += 1) {
        logger.failure('http', 'bad_input', errorWithCode('ERR_BAD_REQUEST', 'bad'));
      }
      vi.advanceTimersByTime(50);
      expect(lines).toHaveLength(2 * (window + 1));
    }
    expect(logger.stats()).toEqual({ lines: 10, suppressed: 5 * 1_999 });
  });

  it('flush() writes pending summaries now and stops the window timers', () => {
    const { lines, logger } = capture();
    for (let index = 0; index < 5; index += 1) {
      logger.failure('ipc', 'handshake_failed', errorWithCode('ERR_AUTH_FAILED', 'bad digest'));
      logger.failure('bulk', 'bad_input', errorWithCode('ERR_FRAME_TOO_LARGE', 'too big'));
    }
    logger.failure('udp', 'bad_input', new Error('alone'));
    expect(lines).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(3);

    logger.flush();
    expect(lines.slice(3)).toEqual([
      'net-echo: ipc: 4 more handshake failures in the last 10 s (ERR_AUTH_FAILED 4)\n',
      'net-echo: bulk: 4 more bad input failures in the last 10 s (ERR_FRAME_TOO_LARGE 4)\n',
    ]);
    expect(vi.getTimerCount()).toBe(0);
    expect(logger.stats()).toEqual({ lines: 5, suppressed: 8 });

    vi.advanceTimersByTime(LOG_SUMMARY_INTERVAL_MS);
    expect(lines).toHaveLength(5);
    logger.flush();
    expect(lines).toHaveLength(5);

    // The logger keeps working after a flush: the next failure opens a new window.
    logger.failure('ipc', 'handshake_failed', errorWithCode('ERR_AUTH_FAILED', 'bad digest'));
    expect(lines[5]).toBe('net-echo: ipc: handshake failed: ERR_AUTH_FAILED: bad digest\n');
    logger.flush();
  });

  it('counts 16 distinct codes per window and the rest under "other"', () => {
    const { lines, logger } = capture({ format: 'json', summaryInterval: 50 });
    logger.failure('tcp', 'handler_failed', errorWithCode('ERR_FIRST', 'first'));
    // Codes C00..C19: C00 three times, C01 twice, the rest once, and 2 without a code.
    const codes = Array.from({ length: 20 }, (_, index) => `C${String(index).padStart(2, '0')}`);
    for (const code of [...codes, 'C00', 'C00', 'C01']) {
      logger.failure('tcp', 'handler_failed', errorWithCode(code, 'x'));
    }
    logger.failure('tcp', 'handler_failed', new Error('no code'));
    logger.failure('tcp', 'handler_failed', 'not an error');
    vi.advanceTimersByTime(50);

    const summary = parse(lines[1]);
    const expectedCodes: Record<string, number> = { C00: 3, C01: 2 };
    for (const code of codes.slice(2, 16)) expectedCodes[code] = 1;
    expectedCodes.other = 6; // C16..C19 past the limit, plus the 2 without a code
    expect(summary).toMatchObject({
      level: 'warn',
      endpoint: 'tcp',
      event: 'handler_failed_summary',
      count: 25,
      windowSeconds: 0.05,
      codes: expectedCodes,
    });
    expect(Object.keys(summary.codes as object)).toHaveLength(17);
    // Sorted by count, descending: other (6), C00 (3), C01 (2), then the ones.
    expect(Object.keys(summary.codes as object).slice(0, 3)).toEqual(['other', 'C00', 'C01']);
    expect(summary.msg).toMatch(
      /^25 more handler failures in the last 0\.05 s \(other 6, C00 3, C01 2, C02 1, /,
    );
  });

  it('writes a JSON summary with count, windowSeconds and codes, without the fields', () => {
    const { lines, logger } = capture({ format: 'json' });
    for (let index = 0; index < 1_000; index += 1) {
      const code = index % 10 === 9 ? 'ECONNRESET' : 'ERR_HANDSHAKE_TIMEOUT';
      logger.failure('tls', 'handshake_failed', errorWithCode(code, 'x'), { remoteAddress: '::1' });
    }
    vi.advanceTimersByTime(LOG_SUMMARY_INTERVAL_MS);
    expect(lines).toHaveLength(2);
    const summary = parse(lines[1]);
    expect(summary).toEqual({
      level: 'warn',
      time: expect.any(String),
      endpoint: 'tls',
      event: 'handshake_failed_summary',
      count: 999,
      windowSeconds: 10,
      codes: { ERR_HANDSHAKE_TIMEOUT: 899, ECONNRESET: 100 },
      msg: '999 more handshake failures in the last 10 s (ERR_HANDSHAKE_TIMEOUT 899, ECONNRESET 100)',
    });
  });

  it('uses an unref’d timer, which never keeps the process alive', () => {
    vi.useRealTimers();
    const refedTimers = () =>
      process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = refedTimers();
    const { logger } = capture({ summaryInterval: 60_000 });
    logger.failure('tcp', 'timeout', new Error('idle'));
    logger.failure('tcp', 'timeout', new Error('idle'));
    expect(refedTimers()).toBe(before);
    // The count does see a timer that keeps the process alive.
    const control = setTimeout(() => {}, 60_000);
    expect(refedTimers()).toBe(before + 1);
    clearTimeout(control);
    logger.flush();
  });

  it('ends a window on real timers too', async () => {
    vi.useRealTimers();
    const { lines, logger } = capture({ summaryInterval: 20 });
    logger.failure('time', 'bad_input', new Error('x'));
    logger.failure('time', 'bad_input', new Error('x'));
    await vi.waitFor(() => expect(lines).toHaveLength(2), { timeout: 2_000, interval: 5 });
    expect(lines[1]).toBe(
      'net-echo: time: 1 more bad input failure in the last 0.02 s (other 1)\n',
    );
  });
});

describe('peer-controlled text', () => {
  // What a peer can choose: an unsupported HMAC digest name from the wire (8 latin1 bytes).
  const injections = ['a\nb', '\r\n{x}', '\u2028', 'ok\u0085\u001b[2J', 'x\\ny'];

  it('cannot break a text line: message, error message, code and field values are escaped', () => {
    const { lines, logger } = capture({ summaryInterval: 50 });
    for (const peer of injections) {
      logger.info('ipc', 'auth', `unsupported digest ${peer}`, { digest: peer });
      logger.failure(
        'ipc',
        `handshake_failed_${injections.indexOf(peer)}`,
        errorWithCode(peer, `digest ${peer}`),
        {
          digest: peer,
        },
      );
      logger.failure(
        'ipc',
        `handshake_failed_${injections.indexOf(peer)}`,
        errorWithCode(peer, peer),
      );
    }
    vi.advanceTimersByTime(50);
    expect(lines).toHaveLength(3 * injections.length);
    for (const line of lines) expectNoLineBreaks(line);

    expect(lines[0]).toBe('net-echo: ipc: unsupported digest a\\nb digest=a\\nb\n');
    expect(lines[1]).toBe('net-echo: ipc: handshake failed 0: a\\nb: digest a\\nb digest=a\\nb\n');
    expect(lines[2]).toBe('net-echo: ipc: unsupported digest \\r\\n{x} digest=\\r\\n{x}\n');
    expect(lines[4]).toBe('net-echo: ipc: unsupported digest \\u2028 digest=\\u2028\n');
    expect(lines[6]).toBe(
      'net-echo: ipc: unsupported digest ok\\x85\\x1b[2J digest=ok\\x85\\x1b[2J\n',
    );
    // A backslash is escaped too, so an escaped "\n" and a literal backslash-n differ.
    expect(lines[8]).toBe('net-echo: ipc: unsupported digest x\\\\ny digest=x\\\\ny\n');
    // Summaries, after the full lines of every key, carry the codes, escaped.
    expect(lines[10]).toBe(
      'net-echo: ipc: 1 more handshake failed 0 failure in the last 0.05 s (a\\nb 1)\n',
    );
  });

  it('cannot break a JSON line, and each value parses back to what the peer sent', () => {
    const { lines, logger } = capture({ format: 'json', summaryInterval: 50 });
    for (const peer of injections) {
      const event = `handshake_failed_${injections.indexOf(peer)}`;
      logger.info('ipc', 'auth', `unsupported digest ${peer}`, { digest: peer });
      logger.failure('ipc', event, errorWithCode(peer, `digest ${peer}`), { digest: peer });
      logger.failure('ipc', event, errorWithCode(peer, peer));
    }
    vi.advanceTimersByTime(50);
    expect(lines).toHaveLength(3 * injections.length);
    for (const line of lines) expectOneLine(line);

    injections.forEach((peer, index) => {
      const info = parse(lines[2 * index]);
      expect(info.msg).toBe(`unsupported digest ${peer}`);
      expect(info.digest).toBe(peer);
      const failure = parse(lines[2 * index + 1]);
      expect(failure.code).toBe(peer);
      expect(failure.digest).toBe(peer);
      expect(failure.msg).toBe(`handshake failed ${index}: ${peer}: digest ${peer}`);
      const summary = parse(lines[2 * injections.length + index]);
      expect(summary.codes).toEqual({ [peer]: 1 });
    });
  });
});

describe('never throws into the caller', () => {
  for (const format of LOG_FORMATS) {
    it(`swallows a stream that throws (${format})`, () => {
      const logger = createLogger({
        format,
        summaryInterval: 50,
        stream: {
          write() {
            throw new Error('EPIPE');
          },
        },
      });
      expect(() => {
        logger.info('tcp', 'ready', 'up', { port: 1 });
        logger.warn('tcp', 'slow', 'slow');
        logger.error('tcp', 'down', 'down');
        logger.failure('tcp', 'timeout', new Error('idle'));
        logger.failure('tcp', 'timeout', new Error('idle'));
        vi.advanceTimersByTime(50);
        logger.failure('tcp', 'timeout', new Error('idle'));
        logger.failure('tcp', 'timeout', new Error('idle'));
        logger.flush();
      }).not.toThrow();
      expect(logger.stats()).toEqual({ lines: 0, suppressed: 2 });
    });
  }
});

describe('options', () => {
  it('refuses an unknown format, a bad summaryInterval and a stream without write', () => {
    const refused: LoggerOptions[] = [
      { format: 'yaml' as LogFormat },
      { summaryInterval: 0 },
      { summaryInterval: 0.5 },
      { summaryInterval: -1 },
      { summaryInterval: Number.NaN },
      { summaryInterval: Number.POSITIVE_INFINITY },
      { summaryInterval: 2 ** 31 },
      { summaryInterval: '50' as unknown as number },
      { stream: {} as unknown as LoggerOptions['stream'] },
    ];
    for (const options of refused) {
      expect(() => createLogger(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });

  it('builds its default stderr destination for both formats', () => {
    // Nothing is logged, so the test output stays clean; writing to fd 2 synchronously was
    // checked by hand (a child killed right after logging still had every line).
    for (const format of LOG_FORMATS) {
      const logger = createLogger({ format });
      logger.flush();
      expect(logger.stats()).toEqual({ lines: 0, suppressed: 0 });
    }
  });

  it('accepts summaryInterval at its bounds, 1 and 2³¹−1 ms', () => {
    for (const summaryInterval of [1, 2 ** 31 - 1]) {
      const { lines, logger } = capture({ summaryInterval });
      logger.failure('tcp', 'timeout', new Error('idle'));
      logger.failure('tcp', 'timeout', new Error('idle'));
      vi.advanceTimersByTime(summaryInterval - 1);
      expect(lines).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(lines).toHaveLength(2);
    }
  });
});
