/**
 * Error classes of `@net/http-client`. Each extends {@link NetError} (from `@net/core`) with
 * a stable `code`; branch on `code`, not on the message. Conditions every package shares
 * use `@net/core`'s classes: a bad option is an `InvalidArgumentError`, an aborted request
 * an `AbortedError`, a closed session a `ClientClosedError` (these subclasses add the URL
 * or the option to the message and keep the shared code).
 */
import {
  AbortedError as CoreAbortedError,
  ClientClosedError as CoreClientClosedError,
  InvalidArgumentError,
  NetError,
} from '@net/core';
import { MaxLengthError } from '@net/stream-reader';
import type { Response } from './response.js';

export { InvalidArgumentError, NetError };

/**
 * The URL cannot be parsed, or its scheme is neither `http:` nor `https:` (`ERR_BAD_URL`;
 * not Node's `ERR_INVALID_URL`, which `new URL()` throws and which ends up in `cause`).
 */
export class InvalidUrlError extends NetError {
  /** The URL as the caller passed it. */
  readonly url: string;

  constructor(url: string, reason: string, code = 'ERR_BAD_URL', cause?: unknown) {
    super(code, `Invalid URL ${JSON.stringify(url)}: ${reason}`, { cause });
    this.url = url;
  }
}

/** The URL has no scheme, as in `www.example.com/path`; `suggestion` holds the likely fix. */
export class MissingSchemeError extends InvalidUrlError {
  /** The URL with `https://` prepended. */
  readonly suggestion: string;

  constructor(url: string) {
    const suggestion = `https://${url}`;
    super(
      url,
      `no scheme; did you mean ${JSON.stringify(suggestion)}? Prefix the URL with https:// (or http://)`,
      'ERR_MISSING_SCHEME',
    );
    this.suggestion = suggestion;
  }
}

/**
 * An option has a value of the wrong type or range, or two options contradict each other:
 * `ERR_INVALID_ARGUMENT`, core's `InvalidArgumentError`.
 */
export class InvalidOptionError extends InvalidArgumentError {}

/** `raiseForStatus()` on a 4xx or 5xx response; `response` is the full response. */
export class HttpError extends NetError {
  /** The response whose status is an error (its body is read, unless `stream: true`). */
  readonly response: Response;
  /** Shortcut for `response.statusCode`. */
  readonly statusCode: number;

  constructor(response: Response) {
    const kind = response.statusCode >= 500 ? 'Server' : 'Client';
    super(
      'ERR_HTTP_STATUS',
      `${kind} error ${response.statusCode} ${response.reason} for ${response.url}; ` +
        'inspect error.response for the body the server sent',
    );
    this.response = response;
    this.statusCode = response.statusCode;
  }
}

/** No TCP (or TLS) connection could be set up within the connect timeout. */
export class ConnectTimeoutError extends NetError {
  /** The connect timeout in force, in milliseconds. */
  readonly timeout: number;

  constructor(url: string, timeout: number, cause?: unknown) {
    super(
      'ERR_CONNECT_TIMEOUT',
      `Could not connect to ${url} within ${timeout} ms; check the host and port, or raise ` +
        'timeout.connect if the server is slow to accept',
      { cause },
    );
    this.timeout = timeout;
  }
}

/**
 * The server stopped sending: no response headers within `timeout.headers`, or no body
 * bytes for `timeout.body` ms (an idle timeout, not a limit on the whole download).
 */
export class ReadTimeoutError extends NetError {
  /** Which wait timed out. */
  readonly phase: 'headers' | 'body';
  /** The timeout in force, in milliseconds. */
  readonly timeout: number;

  constructor(url: string, phase: 'headers' | 'body', timeout: number, cause?: unknown) {
    const what = phase === 'headers' ? 'response headers' : 'more of the response body';
    super(
      'ERR_READ_TIMEOUT',
      `${url} sent no ${what} for ${timeout} ms; raise timeout.${phase} if the server is ` +
        'legitimately this slow',
      { cause },
    );
    this.phase = phase;
    this.timeout = timeout;
  }
}

/** The whole exchange (redirects and retries included) took longer than `timeout.total`. */
export class TotalTimeoutError extends NetError {
  /** The total timeout in force, in milliseconds. */
  readonly timeout: number;

  constructor(url: string, timeout: number) {
    super(
      'ERR_TOTAL_TIMEOUT',
      `Request to ${url} did not complete within timeout.total (${timeout} ms); raise it ` +
        'or use stream: true to process a large body as it arrives',
    );
    this.timeout = timeout;
  }
}

/**
 * The caller's `signal` aborted the request; `cause` is the signal's reason
 * (`ERR_ABORTED`, a subclass of core's `AbortedError`).
 */
export class AbortedError extends CoreAbortedError {
  constructor(url: string, cause: unknown) {
    super(`Request to ${url} was aborted through its signal`, cause);
  }
}

/** More redirects than `maxRedirects`; `response` is the last redirect received. */
export class TooManyRedirectsError extends NetError {
  /** The last redirect response (its `history` holds the ones before). */
  readonly response: Response;
  /** The limit in force. */
  readonly maxRedirects: number;

  constructor(response: Response, maxRedirects: number) {
    super(
      'ERR_TOO_MANY_REDIRECTS',
      `Exceeded maxRedirects (${maxRedirects}) at ${response.url}; the server is probably ` +
        'redirecting in a loop, or raise maxRedirects if the chain is legitimately long',
    );
    this.response = response;
    this.maxRedirects = maxRedirects;
  }
}

/**
 * The connection failed: refused, reset, closed early, DNS lookup failed, or similar.
 * `cause` holds the underlying error (its `code` is, e.g., `ECONNREFUSED`).
 */
export class ConnectionError extends NetError {
  constructor(url: string, cause: unknown) {
    const detail = describe(cause);
    super(
      'ERR_CONNECTION',
      `Connection to ${url} failed (${detail}); check that the server is up and reachable`,
      { cause },
    );
  }
}

/** The TLS handshake failed, usually because the server's certificate is not trusted. */
export class TlsError extends NetError {
  constructor(url: string, cause: unknown) {
    super(
      'ERR_TLS',
      `TLS handshake with ${url} failed (${describe(cause)}); pass tls.ca with the CA that ` +
        "signed the server's certificate, or fix the certificate's host names",
      { cause },
    );
  }
}

/** `json()` on a body that is not valid JSON; `excerpt` holds its first 200 characters. */
export class JsonDecodeError extends NetError {
  /** The start of the body text (at most 200 characters). */
  readonly excerpt: string;

  constructor(text: string, cause: unknown) {
    const excerpt = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    super(
      'ERR_JSON_DECODE',
      `Response body is not valid JSON (${describe(cause)}); it starts with ${JSON.stringify(excerpt)}`,
      { cause },
    );
    this.excerpt = excerpt;
  }
}

/** The body could not be decompressed as its `Content-Encoding` says. */
export class DecompressionError extends NetError {
  constructor(url: string, encoding: string, cause: unknown) {
    super(
      'ERR_DECOMPRESSION',
      `Could not decode the ${encoding} body from ${url} (${describe(cause)}); the server sent ` +
        'a corrupt or mislabelled body',
      { cause },
    );
  }
}

/** The response body is larger than `maxResponseSize`. */
export class ResponseTooLargeError extends NetError {
  /** The limit in force, in bytes. */
  readonly maxResponseSize: number;

  constructor(url: string, maxResponseSize: number) {
    super(
      'ERR_RESPONSE_TOO_LARGE',
      `Response body from ${url} exceeds maxResponseSize (${maxResponseSize} bytes); raise ` +
        'maxResponseSize or use stream: true to process it in pieces',
    );
    this.maxResponseSize = maxResponseSize;
  }
}

/** `text`, `content` or `json()` on a `stream: true` response: iterate `body` instead. */
export class BodyStreamedError extends NetError {
  constructor() {
    super(
      'ERR_BODY_STREAMED',
      'This response was requested with stream: true, so its body is not buffered; iterate ' +
        'response.body (for await) or request without stream: true',
    );
  }
}

/** The client (or session) was closed; create a new one (`ERR_CLIENT_CLOSED`, core's class). */
export class ClientClosedError extends CoreClientClosedError {
  constructor() {
    super('This Session is closed; create a new Session to send requests');
  }
}

/**
 * A hook (or an `auth` function, or `onUploadProgress`) threw (`ERR_HOOK`); `hook` names it and `cause` holds what
 * it threw. Errors of this package thrown from a hook pass through unchanged.
 */
export class HookError extends NetError {
  /** `beforeRequest`, `beforeRedirect`, `beforeRetry`, `afterResponse`, `auth` or `onUploadProgress`. */
  readonly hook: string;

  constructor(hook: string, cause: unknown) {
    super(
      'ERR_HOOK',
      `The ${hook} hook threw (${describe(cause)}); fix the hook, or catch inside it`,
      { cause },
    );
    this.hook = hook;
  }
}

/**
 * Two options that cannot work together (`ERR_INVALID_OPTION`), e.g. your own `dispatcher`
 * with `tls`, `proxy` or `http2`, which would need a dispatcher of their own.
 */
export class IncompatibleOptionsError extends NetError {
  constructor(message: string) {
    super('ERR_INVALID_OPTION', message);
  }
}

/** An underlying error for a message: `CODE: message` when it has a code. */
export function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

/**
 * The response's `Content-Encoding` stacks more codings than this client undoes
 * (`MAX_CONTENT_CODINGS`, 5, as in undici's fetch): `ERR_TOO_MANY_CONTENT_CODINGS`. It is
 * raised before any decoder is created, so a header of thousands of codings costs nothing.
 */
export class TooManyContentCodingsError extends NetError {
  /** How many codings the header lists (`identity` not counted). */
  readonly codings: number;
  /** The limit in force. */
  readonly maxCodings: number;

  constructor(url: string, codings: number, maxCodings: number) {
    super(
      'ERR_TOO_MANY_CONTENT_CODINGS',
      `Response from ${url} stacks ${codings} content codings in Content-Encoding, more than ` +
        `the ${maxCodings} this client undoes; the server is misconfigured or hostile (request ` +
        "with headers { 'accept-encoding': 'identity' } to ask for an unencoded body)",
    );
    this.codings = codings;
    this.maxCodings = maxCodings;
  }
}

/**
 * A line of `iterLines()`, `iterJson()` or `iterEvents()` is longer than `maxLineLength`
 * (`ERR_MAX_LENGTH`, a subclass of `@net/stream-reader`'s `MaxLengthError`: the toolkit's
 * one code for "record longer than its limit").
 */
export class LineTooLongError extends MaxLengthError {
  constructor(url: string, length: number, maxLineLength: number) {
    super('Line', length, maxLineLength);
    this.message =
      `A line of the body from ${url} reached ${length} bytes, more than maxLineLength ` +
      `(${maxLineLength}); raise maxLineLength (0 = no limit) if such lines are expected`;
  }
}

/**
 * A `stream: true` body was already read, by an earlier `iterContent()`, `iterLines()`,
 * `iterJson()` or `iterEvents()` or by iterating `body` (`ERR_BODY_CONSUMED`): a stream
 * can be read once.
 */
export class BodyConsumedError extends NetError {
  constructor(url: string) {
    super(
      'ERR_BODY_CONSUMED',
      `The streamed body of ${url} was already read (by an iter* method or through body); ` +
        'a stream: true body can be read once: keep using the first iterator, or request again',
    );
  }
}

/**
 * A file or Blob being uploaded could not be read, or ended before the length announced in
 * `Content-Length`, while the request was sent (`ERR_UPLOAD_SOURCE`); `cause` holds the read error.
 */
export class UploadSourceError extends NetError {
  /** The file's path, or `undefined` for a Blob. */
  readonly path: string | undefined;

  constructor(path: string | undefined, reason: string, cause?: unknown) {
    super(
      'ERR_UPLOAD_SOURCE',
      `Could not upload ${path === undefined ? 'a Blob' : `the file ${JSON.stringify(path)}`}: ` +
        `${reason}; keep the file in place and unchanged until the request completes`,
      cause === undefined ? undefined : { cause },
    );
    this.path = path;
  }
}
