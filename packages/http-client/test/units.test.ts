import { describe, expect, it } from 'vitest';
import { encodeBody, NO_BODY } from '../src/body.js';
import { charsetOf } from '../src/decode.js';
import { nextHop } from '../src/redirect.js';
import { parseRetryAfter, resolveRetry, retryDelay } from '../src/retry.js';
import { resolveTarget } from '../src/url.js';

describe('Retry-After and backoff', () => {
  it('parses delay-seconds and HTTP dates', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('doubles the backoff up to maxBackoff', () => {
    const retry = resolveRetry({ total: 5, backoff: 100, maxBackoff: 350 });
    expect([1, 2, 3, 4].map((n) => retryDelay(retry, n))).toEqual([100, 200, 350, 350]);
    expect(retryDelay(retry, 1, { 'retry-after': '2' })).toBe(2000);
    expect(retryDelay(retry, 1, { 'retry-after': '3600' })).toBeUndefined();
  });
});

describe('redirect credentials', () => {
  const hop = (origin: string) => ({
    method: 'GET',
    target: { origin, path: '/', href: `${origin}/` },
    headers: { authorization: 'Bearer t', cookie: 'c=1', accept: '*/*' },
    body: NO_BODY,
    credentialsDropped: false,
  });

  it('keeps them from http to https on the same host and default ports (as requests)', () => {
    const next = nextHop(301, 'https://example.com/secure', hop('http://example.com'));
    expect(next?.headers.authorization).toBe('Bearer t');
    expect(next?.credentialsDropped).toBe(false);
  });

  it('drops them on another host, port or a downgrade to http', () => {
    for (const location of ['https://evil.example/', 'http://example.com:8080/']) {
      expect(
        nextHop(302, location, hop('http://example.com'))?.headers.authorization,
      ).toBeUndefined();
    }
    const down = nextHop(302, 'http://example.com/', hop('https://example.com'));
    expect(down?.headers.cookie).toBeUndefined();
    expect(down?.credentialsDropped).toBe(true);
    // Once dropped they stay dropped, even when a later redirect comes back to the origin.
    const back = nextHop(302, 'https://example.com/', down as NonNullable<typeof down>);
    expect(back?.credentialsDropped).toBe(true);
    expect(down?.headers.accept).toBe('*/*');
  });

  it('does not follow to other schemes, nor resend a streamed body on 307', async () => {
    expect(nextHop(302, 'ftp://example.com/', hop('http://example.com'))).toBeUndefined();
    const streamed = { ...hop('http://example.com'), method: 'PUT' };
    streamed.body = { ...NO_BODY, replayable: false };
    expect(nextHop(307, '/again', streamed)).toBeUndefined();
  });
});

describe('URLs, bodies and charsets', () => {
  it('fast and slow paths agree', () => {
    for (const url of [
      'http://Example.COM:80/a/b?x=1',
      'https://example.com:8443/p',
      'http://example.com',
      'http://example.com?q=1',
      'http://[::1]:8080/x#frag',
    ]) {
      const target = resolveTarget(url);
      const parsed = new URL(url);
      expect(target.href).toBe(parsed.origin + parsed.pathname + parsed.search);
    }
  });

  it('joins baseUrl and relative paths with exactly one slash', () => {
    expect(resolveTarget('/items', 'http://h/api/').href).toBe('http://h/api/items');
    expect(resolveTarget('items', 'http://h/api').href).toBe('http://h/api/items');
    expect(resolveTarget('https://other/x', 'http://h/api').href).toBe('https://other/x');
  });

  it('reads the charset parameter, quoted or not, else utf-8', () => {
    expect(charsetOf('text/html; charset="Shift_JIS"')).toBe('shift_jis');
    expect(charsetOf('text/plain;charset=windows-1252')).toBe('windows-1252');
    expect(charsetOf('application/json')).toBe('utf-8');
    expect(charsetOf(undefined)).toBe('utf-8');
  });

  it('rejects a data value of the wrong type', async () => {
    await expect(encodeBody({ data: 42 as unknown as string })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});
