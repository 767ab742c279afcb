import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthRequest,
  acceptChallenge,
  applyAuth,
  checkAuth,
  chooseDigestChallenge,
  DigestAuth,
  digestAuth,
  parseChallenges,
} from '../src/auth.js';
import { Session } from '../src/index.js';
import { readRequestBody, rejection, startServer, type TestServer } from './helpers.js';

const RFC_NONCE = '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v';
const RFC_OPAQUE = 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS';
const RFC_CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
/** RFC 7616 section 3.9.1: the server's two challenges, SHA-256 first. */
const RFC_CHALLENGES = ['SHA-256', 'MD5'].map(
  (algorithm) =>
    `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, ` +
    `nonce="${RFC_NONCE}", opaque="${RFC_OPAQUE}"`,
);

function req(url: string, method = 'GET'): AuthRequest {
  return { method, url, headers: {} };
}

/** The params of a Digest Authorization header we produced. */
function sent(request: AuthRequest): Map<string, string> {
  const value = request.headers.authorization;
  expect(typeof value).toBe('string');
  const [credentials] = parseChallenges(value as string);
  expect(credentials?.scheme).toBe('digest');
  return credentials?.params ?? new Map();
}

/** A DigestAuth whose client nonces are `cnonces`, in turn (the RFC's examples fix one). */
function fixedDigest(username: string, password: string, ...cnonces: string[]): DigestAuth {
  let next = 0;
  return new DigestAuth(username, password, {
    cnonce: () => cnonces[Math.min(next++, cnonces.length - 1)] as string,
  });
}

describe('Digest responses against the RFCs', () => {
  it('answers RFC 7616 3.9.1 with SHA-256, the stronger of the two challenges', async () => {
    const auth = fixedDigest('Mufasa', 'Circle of Life', RFC_CNONCE);
    const request = req('http://www.example.org/dir/index.html');
    expect(acceptChallenge(auth, request, 401, { 'www-authenticate': RFC_CHALLENGES })).toBe(true);
    await applyAuth(auth, request);
    const params = sent(request);
    expect(Object.fromEntries(params)).toEqual({
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      uri: '/dir/index.html',
      algorithm: 'SHA-256',
      nonce: RFC_NONCE,
      nc: '00000001',
      cnonce: RFC_CNONCE,
      qop: 'auth',
      response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
      opaque: RFC_OPAQUE,
    });
  });

  it('answers RFC 7616 3.9.1 with MD5 when that is the only challenge', async () => {
    const auth = fixedDigest('Mufasa', 'Circle of Life', RFC_CNONCE);
    const request = req('http://www.example.org/dir/index.html');
    const challenge = { 'www-authenticate': RFC_CHALLENGES[1] };
    expect(acceptChallenge(auth, request, 401, challenge)).toBe(true);
    await applyAuth(auth, request);
    expect(sent(request).get('response')).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(sent(request).get('algorithm')).toBe('MD5');
  });

  it('answers RFC 2617 3.5 (MD5 without an algorithm param) and its MD5-sess variant', async () => {
    const challenge =
      'Digest realm="testrealm@host.com", qop="auth,auth-int", ' +
      'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
    const auth = fixedDigest('Mufasa', 'Circle Of Life', '0a4f113b');
    const request = req('http://www.nowhere.org/dir/index.html');
    expect(acceptChallenge(auth, request, 401, { 'www-authenticate': challenge })).toBe(true);
    await applyAuth(auth, request);
    expect(sent(request).get('response')).toBe('6629fae49393a05397450978507c4ef1');
    expect(sent(request).has('algorithm')).toBe(false); // none offered, none echoed

    // The same exchange as MD5-sess; the expected value comes from Python's hashlib.
    const sess = fixedDigest('Mufasa', 'Circle Of Life', '0a4f113b');
    const first = req('http://www.nowhere.org/dir/index.html');
    const sessChallenge = `${challenge}, algorithm=MD5-sess`;
    expect(acceptChallenge(sess, first, 401, { 'www-authenticate': sessChallenge })).toBe(true);
    await applyAuth(sess, first);
    const second = req('http://www.nowhere.org/dir/index.html');
    await applyAuth(sess, second);
    expect(sent(second).get('nc')).toBe('00000002');
    expect(sent(second).get('algorithm')).toBe('MD5-sess');
    expect(sent(second).get('response')).toBe('d16df0df0d92cef8935129145e21b5e1');
  });

  it('answers an RFC 2069 challenge (no qop) without qop, nc or cnonce', async () => {
    // RFC 2069's printed response is wrong (its errata); this is the corrected value.
    const challenge =
      'Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
      'opaque="5ccc069c403ebaf9f0171e9517f40e41"';
    const auth = digestAuth('Mufasa', 'CircleOfLife');
    const request = req('http://www.nowhere.org/dir/index.html');
    expect(acceptChallenge(auth, request, 401, { 'www-authenticate': challenge })).toBe(true);
    await applyAuth(auth, request);
    const params = sent(request);
    expect(params.get('response')).toBe('1949323746fe6a43ef61f9606e7febea');
    expect([params.has('qop'), params.has('nc'), params.has('cnonce')]).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('answers SHA-512-256 with userhash=true (RFC 7616 3.9.2 exchange)', async () => {
    // The RFC prints a userhash and response that no SHA-512/256 implementation
    // reproduces; these are Python's hashlib.new('sha512_256') on the same inputs.
    const auth = fixedDigest(
      'J\u00e4s\u00f8n Doe',
      'Secret, or not?',
      'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v',
    );
    const request = req('http://api.example.org/doe.json');
    const challenge =
      'Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, ' +
      'nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", ' +
      'opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true';
    expect(acceptChallenge(auth, request, 401, { 'www-authenticate': challenge })).toBe(true);
    await applyAuth(auth, request);
    const params = sent(request);
    expect(params.get('username')).toBe(
      '793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b',
    );
    expect(params.get('userhash')).toBe('true');
    expect(params.get('response')).toBe(
      '3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5',
    );
  });

  it('sends a non-ASCII username as username* (RFC 8187) when userhash is off', async () => {
    const auth = digestAuth('J\u00e4s\u00f8n Doe', 'pw');
    const request = req('http://h.example/');
    acceptChallenge(auth, request, 401, {
      'www-authenticate': 'Digest realm="r", nonce="n", qop=auth',
    });
    await applyAuth(auth, request);
    const params = sent(request);
    expect(params.get('username*')).toBe("UTF-8''J%C3%A4s%C3%B8n%20Doe");
    expect(params.has('username')).toBe(false);
  });
});

describe('Digest state: nonce count, scope, retries', () => {
  const challenge = (nonce: string, extra = '') => ({
    'www-authenticate': `Digest realm="r", nonce="${nonce}", qop="auth", algorithm=SHA-256${extra}`,
  });

  it('counts requests per nonce in 8 hex digits with a fresh cnonce each, and restarts on a new nonce', async () => {
    const auth = digestAuth('u', 'p');
    expect(acceptChallenge(auth, req('http://h.example/'), 401, challenge('n1'))).toBe(true);
    const seen: Array<[string | undefined, string | undefined]> = [];
    for (let i = 0; i < 17; i++) {
      const request = req(`http://h.example/item/${i}`);
      await applyAuth(auth, request);
      seen.push([sent(request).get('nc'), sent(request).get('cnonce')]);
    }
    expect(seen[0]?.[0]).toBe('00000001');
    expect(seen[16]?.[0]).toBe('00000011'); // 17 in hex
    expect(new Set(seen.map(([, cnonce]) => cnonce)).size).toBe(17);

    // A stale nonce replaced by a new one: the count starts again.
    const stale = req('http://h.example/again');
    await applyAuth(auth, stale);
    expect(acceptChallenge(auth, stale, 401, challenge('n2', ', stale=true'))).toBe(true);
    const retried = req('http://h.example/again');
    await applyAuth(auth, retried);
    expect(sent(retried).get('nonce')).toBe('n2');
    expect(sent(retried).get('nc')).toBe('00000001');
  });

  it('refuses a second 401 for the nonce it just answered (wrong password), unless stale', async () => {
    const auth = digestAuth('u', 'wrong');
    const request = req('http://h.example/');
    expect(acceptChallenge(auth, request, 401, challenge('n1'))).toBe(true);
    await applyAuth(auth, request);
    expect(acceptChallenge(auth, request, 401, challenge('n1'))).toBe(false);
    expect(acceptChallenge(auth, request, 401, challenge('n1', ', stale=TRUE'))).toBe(true);
    // A server that makes a new nonce per 401 gets one more try; the session stops after it.
    expect(acceptChallenge(auth, request, 401, challenge('n3'))).toBe(true);
  });

  it('keeps a challenge per origin and answers only requests to that origin', async () => {
    const auth = digestAuth('u', 'p');
    acceptChallenge(auth, req('http://a.example:8080/x'), 401, challenge('na'));
    const other = req('http://a.example:8081/x');
    await applyAuth(auth, other);
    expect(other.headers.authorization).toBeUndefined();
    const https = req('https://a.example:8080/x');
    await applyAuth(auth, https);
    expect(https.headers.authorization).toBeUndefined();
    const same = req('http://A.example:8080/y/z?q=1&r=%20#frag');
    await applyAuth(auth, same);
    expect(sent(same).get('uri')).toBe('/y/z?q=1&r=%20');
    const bareQuery = req('http://a.example:8080/p?');
    await applyAuth(auth, bareQuery);
    expect(sent(bareQuery).get('uri')).toBe('/p?'); // as the request line carries it
  });

  it('uses the request method in the response', async () => {
    const auth = fixedDigest('u', 'p', 'c');
    const get = req('http://h.example/r');
    const post = req('http://h.example/r', 'POST');
    acceptChallenge(auth, get, 401, { 'www-authenticate': 'Digest realm="r", nonce="n"' });
    await applyAuth(auth, get);
    await applyAuth(auth, post);
    expect(sent(get).get('response')).not.toBe(sent(post).get('response'));
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    const expected = md5(`${md5('u:r:p')}:n:${md5('POST:/r')}`);
    expect(sent(post).get('response')).toBe(expected);
  });

  it('ignores other statuses, other auth kinds and 401s without an answerable challenge', () => {
    const auth = digestAuth('u', 'p');
    const request = req('http://h.example/');
    expect(acceptChallenge(auth, request, 407, challenge('n'))).toBe(false);
    expect(acceptChallenge(auth, request, 200, challenge('n'))).toBe(false);
    expect(acceptChallenge(['u', 'p'], request, 401, challenge('n'))).toBe(false);
    expect(acceptChallenge({ bearer: 't' }, request, 401, challenge('n'))).toBe(false);
    expect(acceptChallenge(auth, request, 401, {})).toBe(false);
    expect(acceptChallenge(auth, request, 401, { 'www-authenticate': 'Basic realm="x"' })).toBe(
      false,
    );
    expect(auth.challengeFor('http://h.example/')).toBeUndefined();
  });
});

describe('WWW-Authenticate parsing', () => {
  it('splits several challenges in one header, with quoted commas and escapes', () => {
    const value =
      'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple, really", ' +
      'Negotiate abc+/de==, Bearer, Digest realm="a\\\\b", nonce=xyz';
    const parsed = parseChallenges(value);
    expect(parsed.map((c) => c.scheme)).toEqual([
      'newauth',
      'basic',
      'negotiate',
      'bearer',
      'digest',
    ]);
    expect(Object.fromEntries(parsed[0]?.params ?? [])).toEqual({
      realm: 'apps',
      type: '1',
      title: 'Login to "apps"',
    });
    expect(parsed[1]?.params.get('realm')).toBe('simple, really');
    expect(parsed[2]?.token68).toBe('abc+/de==');
    expect(parsed[3]?.params.size).toBe(0);
    expect(parsed[4]?.params.get('realm')).toBe('a\\b');
    expect(parsed[4]?.params.get('nonce')).toBe('xyz');
  });

  it('tolerates spaces around =, upper-case names, empty list items and garbage', () => {
    const parsed = parseChallenges(' ,, DIGEST Realm = "r" ,, NONCE="n" , @@@, Basic realm="b"');
    expect(parsed.map((c) => c.scheme)).toEqual(['digest', 'basic']);
    expect(parsed[0]?.params.get('realm')).toBe('r');
    expect(parsed[0]?.params.get('nonce')).toBe('n');
    expect(parseChallenges('Digest realm="never closed')[0]?.params.get('realm')).toBe(
      'never closed',
    );
    expect(parseChallenges('')).toEqual([]);
  });

  it('chooses the Digest challenge of a Basic + Digest header, across header lines', () => {
    const chosen = chooseDigestChallenge([
      'Basic realm="b"',
      'Digest realm="d", nonce="n1", qop="auth", algorithm=MD5, Digest realm="d", nonce="n2", qop="auth", algorithm=sha-256-sess',
    ]);
    expect(chosen).toMatchObject({
      nonce: 'n2',
      hash: 'SHA-256',
      session: true,
      algorithm: 'sha-256-sess',
    });
  });

  it('refuses unknown algorithms, auth-int only, -sess without qop, and missing realm or nonce', () => {
    for (const value of [
      'Digest realm="r", nonce="n", algorithm=SHA-1',
      'Digest realm="r", nonce="n", algorithm=MD5, qop="auth-int"',
      'Digest realm="r", nonce="n", algorithm=MD5-sess',
      'Digest nonce="n", qop=auth',
      'Digest realm="r", qop=auth',
      'Digest realm="r", nonce="line\nbreak", qop=auth',
    ]) {
      const auth = digestAuth('u', 'p');
      expect(chooseDigestChallenge(value)).toBeUndefined();
      expect(
        acceptChallenge(auth, req('http://h.example/'), 401, { 'www-authenticate': value }),
      ).toBe(false);
    }
    // An unanswerable challenge next to an answerable one: the answerable one wins.
    expect(
      chooseDigestChallenge(
        'Digest realm="r", nonce="a", algorithm=SHA-1, Digest realm="r", nonce="b"',
      ),
    ).toMatchObject({ nonce: 'b', hash: 'MD5' });
  });
});

describe('Basic, Bearer and function auth', () => {
  it('sends Basic as base64 of the UTF-8 user:pass', async () => {
    const request = req('http://h.example/');
    await applyAuth(['J\u00f6s\u00e9', 'p\u00e4ssw\u00f6rd \u2713'], request);
    // base64 of the UTF-8 bytes, from Python: base64.b64encode("Jösé:pässwörd ✓".encode())
    expect(request.headers.authorization).toBe('Basic SsO2c8OpOnDDpHNzd8O2cmQg4pyT');
    const colon = req('http://h.example/');
    await applyAuth(['user', 'pa:ss'], colon); // a colon in the password is fine
    expect(colon.headers.authorization).toBe(`Basic ${btoa('user:pa:ss')}`);
  });

  it('sends Bearer tokens and replaces an Authorization header already set', async () => {
    const request: AuthRequest = {
      method: 'GET',
      url: 'http://h.example/',
      headers: { authorization: 'old' },
    };
    await applyAuth({ bearer: 'abc.def-ghi' }, request);
    expect(request.headers.authorization).toBe('Bearer abc.def-ghi');
  });

  it('awaits a function, which may set any header, and lets what it throws through', async () => {
    const request = req('http://h.example/path', 'PUT');
    await applyAuth(async (r) => {
      await Promise.resolve();
      r.headers['x-signature'] = `${r.method} ${r.url}`;
    }, request);
    expect(request.headers['x-signature']).toBe('PUT http://h.example/path');
    const failure = new Error('token refresh failed');
    await expect(applyAuth(() => Promise.reject(failure), req('http://h.example/'))).rejects.toBe(
      failure,
    );
  });

  it('leaves headers alone for a DigestAuth without a challenge yet', async () => {
    const request = req('http://h.example/');
    await applyAuth(digestAuth('u', 'p'), request);
    expect(request.headers).toEqual({});
  });
});

describe('checkAuth', () => {
  it('accepts undefined and every auth shape', () => {
    for (const auth of [
      undefined,
      ['u', 'p'],
      ['', ''],
      { bearer: 't' },
      digestAuth('u', 'p'),
      () => {},
    ]) {
      expect(() => checkAuth('auth', auth)).not.toThrow();
    }
  });

  it('refuses other shapes with ERR_INVALID_ARGUMENT naming the option, never the secret', () => {
    const secret = 'hunter2-SECRET';
    const bad: unknown[] = [
      null,
      'user:pass',
      42,
      ['u'],
      ['u', secret, 'x'],
      ['u', 42],
      ['a:b', secret],
      { bearer: '' },
      { bearer: 42 },
      { bearer: `${secret}\r\nx-injected: 1` },
      { bearer: `${secret}\u2713` },
      { username: 'u', password: secret },
    ];
    for (const auth of bad) {
      let thrown: (Error & { code?: string }) | undefined;
      try {
        checkAuth('session.auth', auth);
      } catch (error) {
        thrown = error as Error & { code?: string };
      }
      expect(thrown?.code, inspect(auth)).toBe('ERR_INVALID_ARGUMENT');
      expect(thrown?.message).toContain('session.auth');
      expect(thrown?.message).not.toContain(secret);
      expect(thrown?.message).not.toContain('a:b');
    }
  });

  it('digestAuth refuses non-strings', () => {
    expect(() => digestAuth('u', undefined as unknown as string)).toThrowError(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('keeps the credentials out of inspect and JSON', () => {
    const auth = digestAuth('alice-USER', 'hunter2-SECRET');
    for (const text of [inspect(auth), inspect({ auth }, { depth: 5 }), JSON.stringify({ auth })]) {
      expect(text).not.toContain('hunter2-SECRET');
      expect(text).not.toContain('alice-USER');
    }
  });
});

// A Digest server written from RFC 7616's formulas, independent of src/auth.ts.
interface DigestServer extends TestServer {
  /** Authorization headers received, in order (undefined for none). */
  received: Array<string | undefined>;
  /** Nonces handed out so far (one per 401). */
  nonces: () => number;
}

async function startDigestServer(
  password: string,
  algorithm: 'MD5' | 'SHA-256',
): Promise<DigestServer> {
  const received: Array<string | undefined> = [];
  const state = { nonces: 0 };
  const hash = (text: string) =>
    createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
      .update(text)
      .digest('hex');
  const handler = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readRequestBody(request);
    const header = request.headers.authorization;
    received.push(header);
    const params = new Map<string, string>();
    for (const match of (header ?? '').matchAll(/(\w+)=(?:"([^"]*)"|([^\s,]+))/g)) {
      params.set(match[1] as string, match[2] ?? (match[3] as string));
    }
    const ha1 = hash(`${params.get('username')}:test realm:${password}`);
    const ha2 = hash(`${request.method}:${params.get('uri')}`);
    const expected = hash(
      `${ha1}:${params.get('nonce')}:${params.get('nc')}:${params.get('cnonce')}:auth:${ha2}`,
    );
    if (
      header?.startsWith('Digest ') &&
      params.get('uri') === request.url &&
      params.get('response') === expected &&
      params.get('opaque') === 'opaque-value'
    ) {
      response.end(`hello ${params.get('username')} nc=${params.get('nc')}${body && ` ${body}`}`);
      return;
    }
    state.nonces++;
    response.writeHead(401, {
      'www-authenticate': [
        'Basic realm="test realm"',
        `Digest realm="test realm", qop="auth,auth-int", algorithm=${algorithm}, nonce="nonce-${state.nonces}", opaque="opaque-value"`,
      ],
    });
    response.end('unauthorized');
  };
  const server = await startServer(handler);
  return Object.assign(server, { received, nonces: () => state.nonces });
}

describe('Digest exchange with a node:http server (undici request)', () => {
  let server: DigestServer;
  beforeAll(async () => {
    server = await startDigestServer('s3cret', 'SHA-256');
  });
  afterAll(() => server.close());

  /** The session's flow: apply, send, accept the challenge, re-send once. */
  async function send(
    auth: DigestAuth,
    path: string,
  ): Promise<{ status: number; text: string; sends: number }> {
    let sends = 0;
    for (;;) {
      const request = req(`${server.url}${path}`);
      await applyAuth(auth, request);
      sends++;
      const response = await undiciRequest(request.url, { headers: request.headers });
      const text = await response.body.text();
      if (sends === 1 && acceptChallenge(auth, request, response.statusCode, response.headers))
        continue;
      return { status: response.statusCode, text, sends };
    }
  }

  it('answers the challenge once, then reuses it without another 401', async () => {
    const auth = digestAuth('alice', 's3cret');
    expect(await send(auth, '/a?x=1')).toEqual({
      status: 200,
      text: 'hello alice nc=00000001',
      sends: 2,
    });
    expect(await send(auth, '/b')).toEqual({
      status: 200,
      text: 'hello alice nc=00000002',
      sends: 1,
    });
    expect(server.nonces()).toBe(1);
  });

  it('returns the 401 for a wrong password after exactly one retry', async () => {
    const before = server.received.length;
    const auth = digestAuth('alice', 'wrong');
    const result = await send(auth, '/c');
    expect(result).toMatchObject({ status: 401, sends: 2 });
    expect(server.received.slice(before).map((h) => h?.split(' ')[0])).toEqual([
      undefined,
      'Digest',
    ]);
  });
});

describe('auth through Session', () => {
  let digest: DigestServer;
  let echo: TestServer;
  const seen: Array<{ method?: string; authorization?: string; body: string }> = [];
  beforeAll(async () => {
    digest = await startDigestServer('s3cret', 'MD5');
    echo = await startServer(async (request, response) => {
      const body = await readRequestBody(request);
      seen.push({ method: request.method, authorization: request.headers.authorization, body });
      response.end('ok');
    });
  });
  afterAll(async () => {
    await digest.close();
    await echo.close();
  });

  it('Session({ auth: digestAuth }) answers the first 401 and reuses the challenge after', async () => {
    const s = new Session({ auth: digestAuth('alice', 's3cret') });
    try {
      const before = digest.received.length;
      const first = await s.get(`${digest.url}/one`);
      expect([first.statusCode, first.text]).toEqual([200, 'hello alice nc=00000001']);
      const second = await s.get(`${digest.url}/two?x=y`);
      expect([second.statusCode, second.text]).toEqual([200, 'hello alice nc=00000002']);
      // One 401 in all: the second request was answered at once.
      expect(digest.received.slice(before).map((h) => h?.split(' ')[0])).toEqual([
        undefined,
        'Digest',
        'Digest',
      ]);
    } finally {
      await s.close();
    }
  });

  it('returns the 401 for a wrong password after exactly one retry (no loop)', async () => {
    const s = new Session();
    try {
      const before = digest.received.length;
      const auth = digestAuth('alice', 'wrong');
      const response = await s.get(`${digest.url}/x`, { auth });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBeDefined();
      expect(digest.received.length - before).toBe(2);
      // The next request answers the kept nonce, draws a new 401 and one more try: two again.
      expect((await s.get(`${digest.url}/x`, { auth })).statusCode).toBe(401);
      expect(digest.received.length - before).toBe(4);
    } finally {
      await s.close();
    }
  });

  it('re-sends a POST body with the answer to the challenge', async () => {
    const s = new Session({ auth: digestAuth('alice', 's3cret') });
    try {
      const response = await s.post(`${digest.url}/post`, { json: { a: 1 } });
      expect([response.statusCode, response.text]).toEqual([
        200,
        'hello alice nc=00000001 {"a":1}',
      ]);
    } finally {
      await s.close();
    }
  });

  it('sends Basic, Bearer and a function’s headers; a per-request auth beats the session’s', async () => {
    const s = new Session({ auth: ['user', 'pass'] });
    try {
      seen.length = 0;
      await s.get(echo.url);
      await s.get(echo.url, { auth: { bearer: 'tok' } });
      await s.put(echo.url, {
        data: 'signed body',
        auth: async (request) => {
          request.headers.authorization = `Sig ${request.method}`;
        },
      });
      expect(seen.map((r) => r.authorization)).toEqual([
        `Basic ${btoa('user:pass')}`,
        'Bearer tok',
        'Sig PUT',
      ]);
      expect(seen[2]?.body).toBe('signed body');
    } finally {
      await s.close();
    }
  });

  it('wraps what an auth function throws as ERR_HOOK, and refuses a bad auth as ERR_INVALID_ARGUMENT', async () => {
    const s = new Session();
    try {
      const failed = await rejection(() =>
        s.get(echo.url, {
          auth: () => {
            throw new Error('refresh failed');
          },
        }),
      );
      expect(failed.code).toBe('ERR_HOOK');
      const bad = await rejection(() => s.get(echo.url, { auth: 'user:pass' as never }));
      expect(bad.code).toBe('ERR_INVALID_ARGUMENT');
      expect(() => new Session({ auth: { bearer: '' } })).toThrowError(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    } finally {
      await s.close();
    }
  });
});
