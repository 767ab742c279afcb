/**
 * Credentials for a request: Basic (`['user', 'pass']`, as requests' tuple), Bearer
 * (`{ bearer }`), Digest (RFC 7616, {@link digestAuth}) or a function that signs the request.
 * Secrets never reach an error message: errors name the option, never its value.
 */
import { createHash, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { InvalidOptionError } from './errors.js';

/** The request as an auth function sees it: header names lower-case, `headers` editable. */
export interface AuthRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Full URL, query included. */
  readonly url: string;
  /** Request headers (lower-case names); set `authorization` or any other. */
  headers: Record<string, string | string[]>;
}

/** Signs or authorizes a request, e.g. refreshing a token first. */
export type AuthFunction = (request: AuthRequest) => void | Promise<void>;

/** Digest hash algorithms we answer (RFC 7616 section 3.3), strongest last. */
const ALGORITHMS = ['MD5', 'SHA-256', 'SHA-512-256'] as const;
type DigestHash = (typeof ALGORITHMS)[number];
const NODE_HASH: Record<DigestHash, string> = {
  MD5: 'md5',
  'SHA-256': 'sha256',
  'SHA-512-256': 'sha512-256',
};

/** A Digest challenge as {@link DigestAuth} keeps it for one origin. */
export interface DigestChallenge {
  /** The realm, as the server sent it. */
  readonly realm: string;
  /** The server's nonce. */
  readonly nonce: string;
  /** Echoed back unchanged when present. */
  readonly opaque?: string;
  /** The `algorithm` token as the server spelled it (absent means MD5). */
  readonly algorithm?: string;
  /** The hash `algorithm` names. */
  readonly hash: DigestHash;
  /** `-sess` variant: HA1 also covers the nonce and cnonce. */
  readonly session: boolean;
  /** `true` for `qop=auth`; `false` for an RFC 2069 challenge without `qop`. */
  readonly qop: boolean;
  /** The server asked for the username hashed (RFC 7616 section 3.4.4). */
  readonly userhash: boolean;
}

interface DigestState {
  challenge: DigestChallenge;
  /** Requests sent with this nonce so far (`nc`). */
  count: number;
}

/** Origins a DigestAuth remembers a challenge for; the oldest is dropped past this. */
const DIGEST_ORIGIN_LIMIT = 64;

/**
 * Digest credentials and the last challenge of each origin (nonce, nonce count); made by
 * {@link digestAuth}. Reuse one instance across requests so that later requests answer the
 * kept challenge at once instead of first drawing a 401. Neither the username nor the
 * password appears when the instance is logged.
 */
export class DigestAuth {
  /** The user name (sent as is, as `username*` when not ASCII, or hashed with `userhash`). */
  readonly username: string;
  readonly #password: string;
  readonly #cnonce: () => string;
  readonly #spaces = new Map<string, DigestState>();

  /**
   * Made by {@link digestAuth}. `options.cnonce` makes the client nonces: tests pass a fixed
   * one to reproduce RFC 7616's examples; otherwise 16 random bytes in hex.
   * @internal
   */
  constructor(username: string, password: string, options: { cnonce?: () => string } = {}) {
    this.username = username;
    this.#password = password;
    this.#cnonce = options.cnonce ?? (() => randomBytes(16).toString('hex'));
  }

  /** The challenge kept for `url`'s origin, if any. @internal */
  challengeFor(url: string): DigestChallenge | undefined {
    return this.#spaces.get(originOf(url))?.challenge;
  }

  /** Sets `authorization` when a challenge is kept for the request's origin. @internal */
  authorize(request: AuthRequest): void {
    const state = this.#spaces.get(originOf(request.url));
    if (state === undefined) return;
    state.count++;
    request.headers.authorization = digestAuthorization(state.challenge, {
      username: this.username,
      password: this.#password,
      method: request.method,
      uri: requestTarget(request.url),
      nc: state.count,
      cnonce: this.#cnonce(),
    });
  }

  /** Keeps the best challenge of a 401; `false` when none can be answered. @internal */
  accept(request: AuthRequest, headers: Record<string, string | string[] | undefined>): boolean {
    const challenge = chooseDigestChallenge(headers['www-authenticate']);
    if (challenge === undefined) return false;
    const origin = originOf(request.url);
    const sent = parseDigestCredentials(request.headers.authorization);
    // The server refused our answer to this very nonce and did not call it stale: the
    // credentials are wrong, and answering again would only draw the same 401.
    if (
      sent?.get('nonce') === challenge.nonce &&
      !isStale(headers['www-authenticate'], challenge)
    ) {
      return false;
    }
    const kept = this.#spaces.get(origin);
    this.#spaces.delete(origin); // re-inserted last: the map's order is least recent first
    if (this.#spaces.size >= DIGEST_ORIGIN_LIMIT) {
      const oldest = this.#spaces.keys().next().value as string;
      this.#spaces.delete(oldest);
    }
    const sameNonce = kept !== undefined && kept.challenge.nonce === challenge.nonce;
    this.#spaces.set(origin, { challenge, count: sameNonce ? kept.count : 0 });
    return true;
  }

  /** Keeps the password (and the username) out of `console.log` and `util.inspect`. */
  [inspect.custom](): string {
    return 'DigestAuth { username: [hidden], password: [hidden] }';
  }

  /** Keeps the credentials out of `JSON.stringify`: the instance becomes `"DigestAuth"`. */
  toJSON(): string {
    return 'DigestAuth';
  }
}

/** The `auth` option. */
export type Auth =
  | readonly [username: string, password: string]
  | {
      /** The token, sent as `Authorization: Bearer <token>`. */
      readonly bearer: string;
    }
  | DigestAuth
  | AuthFunction;

/**
 * Digest authentication (RFC 7616) for `auth`: MD5, SHA-256 and SHA-512-256 (each also as
 * `-sess`), `qop=auth` or none (RFC 2069). The first request to an origin draws the 401
 * challenge and is sent once more with the answer; later ones answer the kept challenge.
 */
export function digestAuth(username: string, password: string): DigestAuth {
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new InvalidOptionError('digestAuth(username, password) takes two strings');
  }
  return new DigestAuth(username, password);
}

const AUTH_SHAPES =
  "['username', 'password'] (Basic), { bearer: token }, digestAuth(username, password) or " +
  'an async function (request) => { ... } that sets request.headers';

/** Throws `InvalidOptionError` unless `auth` is `undefined` or an {@link Auth}. */
export function checkAuth(name: string, auth: unknown): asserts auth is Auth | undefined {
  if (auth === undefined || typeof auth === 'function' || auth instanceof DigestAuth) return;
  if (Array.isArray(auth)) {
    if (auth.length !== 2 || typeof auth[0] !== 'string' || typeof auth[1] !== 'string') {
      throw new InvalidOptionError(
        `${name} as an array must be ['username', 'password'] (two strings, Basic auth); ` +
          `got ${auth.length} item(s) of type ${auth.map((item) => typeof item).join(', ') || 'none'}`,
      );
    }
    if (auth[0].includes(':')) {
      throw new InvalidOptionError(
        `${name}: a Basic username cannot contain ':' (the separator of user and password); ` +
          'use a function that sets request.headers.authorization if the server expects one',
      );
    }
    return;
  }
  if (auth !== null && typeof auth === 'object' && 'bearer' in auth) {
    const token: unknown = (auth as { bearer: unknown }).bearer;
    if (typeof token !== 'string' || token === '') {
      throw new InvalidOptionError(`${name}.bearer must be a non-empty string (the token)`);
    }
    // A control character would end the header line or be refused by undici.
    if (!isHeaderSafe(token)) {
      throw new InvalidOptionError(
        `${name}.bearer contains a control or non-Latin-1 character (a line break, say), ` +
          'which cannot be sent in a header; pass the token alone',
      );
    }
    return;
  }
  const got =
    auth === null
      ? 'null'
      : typeof auth === 'object'
        ? `an object with keys ${Object.keys(auth).join(', ') || '(none)'}`
        : `a ${typeof auth}`;
  throw new InvalidOptionError(`${name} must be ${AUTH_SHAPES}; got ${got}`);
}

/** Sets the credentials of `auth` on `request` (a function may do anything to headers). */
export async function applyAuth(auth: Auth, request: AuthRequest): Promise<void> {
  if (typeof auth === 'function') {
    await auth(request);
  } else if (auth instanceof DigestAuth) {
    auth.authorize(request);
  } else if (Array.isArray(auth)) {
    const [username, password] = auth as readonly [string, string];
    request.headers.authorization = basicAuthorization(username, password);
  } else {
    request.headers.authorization = `Bearer ${(auth as { bearer: string }).bearer}`;
  }
}

/**
 * After a response: `true` when `auth` is Digest, the status is 401 and the response carries
 * a Digest challenge it can answer (the challenge is kept); the session then sends the
 * request once more, calling {@link applyAuth} again.
 */
export function acceptChallenge(
  auth: Auth,
  request: AuthRequest,
  statusCode: number,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  if (statusCode !== 401 || !(auth instanceof DigestAuth)) return false;
  return auth.accept(request, headers);
}

/** `Basic base64(utf8(user:pass))`, as RFC 7617 with `charset="UTF-8"`. @internal */
function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

// ---- WWW-Authenticate parsing (RFC 9110 section 11.6.1) ----

/** One challenge of a `WWW-Authenticate` header. @internal */
export interface AuthChallenge {
  /** The auth-scheme, lower-case (`digest`, `basic`, ...). */
  scheme: string;
  /** Its auth-params: lower-case names, values unquoted. */
  params: Map<string, string>;
  /** Its token68, for schemes that use one instead of params. */
  token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*[ \t]*(?:,|$)/y;

/**
 * Every challenge in `WWW-Authenticate` values: one header may hold several, separated by
 * commas that also separate their params; quoted strings may hold commas and `\` escapes.
 * Malformed pieces are skipped, never thrown. @internal
 */
export function parseChallenges(value: string | readonly string[] | undefined): AuthChallenge[] {
  if (value === undefined) return [];
  if (typeof value !== 'string') return value.flatMap((one) => parseChallenges(one));
  const s = value;
  const n = s.length;
  let i = 0;
  const out: AuthChallenge[] = [];
  const skipSpace = () => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < n && TCHAR.test(s[i] as string)) i++;
    return s.slice(start, i);
  };
  const readQuoted = () => {
    let text = '';
    i++; // opening quote
    while (i < n) {
      const c = s[i] as string;
      if (c === '"') {
        i++;
        return text;
      }
      if (c === '\\' && i + 1 < n) {
        text += s[i + 1];
        i += 2;
      } else {
        text += c;
        i++;
      }
    }
    return text; // unterminated: take what there is
  };
  while (i < n) {
    while (i < n && (s[i] === ',' || s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= n) break;
    const scheme = readToken();
    if (scheme === '') {
      // Garbage: skip to the next comma and try again from there.
      while (i < n && s[i] !== ',') i++;
      continue;
    }
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: new Map() };
    out.push(challenge);
    skipSpace();
    TOKEN68.lastIndex = i;
    if (i < n && s[i] !== ',' && TOKEN68.test(s)) {
      const end = TOKEN68.lastIndex;
      challenge.token68 = s.slice(i, end).replace(/[ \t,]+$/, '');
      i = end;
      continue;
    }
    for (;;) {
      skipSpace();
      if (i >= n) break;
      if (s[i] === ',') {
        i++;
        continue;
      }
      const start = i;
      const name = readToken();
      skipSpace();
      if (name === '' || s[i] !== '=') {
        i = start; // not `name=`: the next challenge starts here
        break;
      }
      i++;
      skipSpace();
      const paramValue = s[i] === '"' ? readQuoted() : readToken();
      const key = name.toLowerCase();
      if (!challenge.params.has(key)) challenge.params.set(key, paramValue);
    }
  }
  return out;
}

/** The Digest challenge of a 401 that we can answer, strongest hash first. @internal */
export function chooseDigestChallenge(
  value: string | readonly string[] | undefined,
): DigestChallenge | undefined {
  let best: DigestChallenge | undefined;
  for (const { scheme, params } of parseChallenges(value)) {
    if (scheme !== 'digest') continue;
    const realm = params.get('realm');
    const nonce = params.get('nonce');
    if (realm === undefined || nonce === undefined || nonce === '') continue;
    const algorithm = params.get('algorithm');
    const opaque = params.get('opaque');
    // Echoed into our header: a control character there would make undici refuse it.
    if (!isHeaderSafe(`${realm}${nonce}${opaque ?? ''}`)) continue;
    const name = (algorithm ?? 'MD5').toUpperCase();
    const session = name.endsWith('-SESS');
    const hash = ALGORITHMS.find((known) => known === (session ? name.slice(0, -5) : name));
    if (hash === undefined) continue;
    const qopValue = params.get('qop');
    const qops = qopValue?.split(',').map((q) => q.trim().toLowerCase());
    if (qops !== undefined && !qops.includes('auth')) continue; // auth-int only
    // -sess needs a cnonce, which only qop sends (RFC 2617 section 3.2.2.2).
    if (session && qops === undefined) continue;
    const candidate: DigestChallenge = {
      realm,
      nonce,
      ...(opaque !== undefined ? { opaque } : undefined),
      ...(algorithm !== undefined ? { algorithm } : undefined),
      hash,
      session,
      qop: qops !== undefined,
      userhash: params.get('userhash')?.toLowerCase() === 'true',
    };
    if (best === undefined || ALGORITHMS.indexOf(hash) > ALGORITHMS.indexOf(best.hash)) {
      best = candidate;
    }
  }
  return best;
}

function isStale(value: string | readonly string[] | undefined, chosen: DigestChallenge): boolean {
  return parseChallenges(value).some(
    ({ scheme, params }) =>
      scheme === 'digest' &&
      params.get('nonce') === chosen.nonce &&
      params.get('stale')?.toLowerCase() === 'true',
  );
}

/** The params of a Digest `Authorization` we sent, to tell which nonce it answered. */
function parseDigestCredentials(
  value: string | string[] | undefined,
): Map<string, string> | undefined {
  if (typeof value !== 'string') return undefined;
  const [credentials] = parseChallenges(value);
  return credentials?.scheme === 'digest' ? credentials.params : undefined;
}

// ---- The Digest response (RFC 7616 section 3.4) ----

/** What {@link digestAuthorization} answers with. @internal */
interface DigestInput {
  username: string;
  password: string;
  /** Upper-case method. */
  method: string;
  /** The request-target as sent: path and query. */
  uri: string;
  /** Nonce count: 1 for the first request with this nonce. */
  nc: number;
  cnonce: string;
}

/** The `Authorization` header answering `challenge`. @internal */
function digestAuthorization(challenge: DigestChallenge, input: DigestInput): string {
  const algorithm = NODE_HASH[challenge.hash];
  // Server strings came off the wire as Latin-1 (undici's decoding), so Latin-1 gives
  // back their bytes; the caller's strings are hashed as UTF-8.
  const H = (...parts: Array<string | { wire: string }>) => {
    const hash = createHash(algorithm);
    parts.forEach((part, index) => {
      if (index > 0) hash.update(':');
      hash.update(
        typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part.wire, 'latin1'),
      );
    });
    return hash.digest('hex');
  };
  const realm = { wire: challenge.realm };
  const nonce = { wire: challenge.nonce };
  const nc = input.nc.toString(16).padStart(8, '0');
  let ha1 = H(input.username, realm, input.password);
  if (challenge.session) ha1 = H(ha1, nonce, { wire: input.cnonce });
  const ha2 = H(input.method, { wire: input.uri });
  const response = challenge.qop
    ? H(ha1, nonce, nc, { wire: input.cnonce }, 'auth', ha2)
    : H(ha1, nonce, ha2);

  const fields: string[] = [];
  if (challenge.userhash) {
    fields.push(`username=${quote(H(input.username, realm))}`);
  } else if (/^[\x20-\x7e]*$/.test(input.username)) {
    fields.push(`username=${quote(input.username)}`);
  } else {
    fields.push(`username*=UTF-8''${encodeExtValue(input.username)}`); // RFC 8187
  }
  fields.push(
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(input.uri)}`,
  );
  if (challenge.algorithm !== undefined) fields.push(`algorithm=${challenge.algorithm}`);
  fields.push(`response=${quote(response)}`);
  if (challenge.opaque !== undefined) fields.push(`opaque=${quote(challenge.opaque)}`);
  if (challenge.qop) fields.push('qop=auth', `nc=${nc}`, `cnonce=${quote(input.cnonce)}`);
  if (challenge.userhash) fields.push('userhash=true');
  return `Digest ${fields.join(', ')}`;
}

/** No control character and nothing past Latin-1: safe to put in a header value. */
function isHeaderSafe(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code > 0xff) return false;
  }
  return true;
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

function encodeExtValue(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'), (byte) =>
    /[A-Za-z0-9!#$&+\-.^_`|~]/.test(String.fromCharCode(byte))
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
}

/** `scheme://host:port` of a URL: a Digest challenge is kept per origin. */
function originOf(url: string): string {
  return new URL(url).origin;
}

/** Path and query as the request line carries them (a bare trailing `?` kept). */
function requestTarget(url: string): string {
  const parsed = new URL(url);
  parsed.hash = '';
  parsed.username = '';
  parsed.password = '';
  return parsed.href.slice(parsed.origin.length) || '/';
}
