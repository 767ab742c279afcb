/**
 * Hooks (got's and ky's names): functions called before a request, before a redirect is
 * followed, before a retry, and after the response. A session's hooks run first, then the
 * request's.
 */
import { NetError } from '@net/core';
import { HookError, InvalidOptionError } from './errors.js';
import type { RequestOptions } from './options.js';
import type { Response } from './response.js';

/** A request as hooks see it: header names lower-case, `headers` editable. */
export interface HookRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Full URL, query included. */
  readonly url: string;
  /** Request headers (lower-case names), sent as they are when the hook returns. */
  headers: Record<string, string | string[]>;
  /** The options the call was made with. */
  readonly options: RequestOptions;
}

/**
 * Before a request goes out (also each redirect and retry): edit `request.headers`, or
 * return a {@link Response} (or a promise of one) to answer without the network; any other
 * return value is ignored.
 */
export type BeforeRequestHook = (request: HookRequest) => unknown;
/** Before a redirect is followed: `request` is the next request (editable), `response` the redirect. */
export type BeforeRedirectHook = (request: HookRequest, response: Response) => void | Promise<void>;
/** What a {@link BeforeRetryHook} is told. */
export interface RetryState {
  /** The request about to be sent again. */
  request: HookRequest;
  /** Why: the connection error, or an `HttpError` for a retried status. */
  error: Error;
  /** 1 for the first retry. */
  retryCount: number;
}
/** Before a retry is sent (after the backoff). */
export type BeforeRetryHook = (state: RetryState) => void | Promise<void>;
/**
 * After the final response: return a new {@link Response} (or a promise of one) to replace
 * it, e.g. one fetched again after a token refresh; any other return value keeps it.
 */
export type AfterResponseHook = (response: Response, request: HookRequest) => unknown;

/** The `hooks` option: arrays of functions, called in order. */
export interface Hooks {
  /** See {@link BeforeRequestHook}. */
  beforeRequest?: readonly BeforeRequestHook[];
  /** See {@link BeforeRedirectHook}. */
  beforeRedirect?: readonly BeforeRedirectHook[];
  /** See {@link BeforeRetryHook}. */
  beforeRetry?: readonly BeforeRetryHook[];
  /** See {@link AfterResponseHook}. */
  afterResponse?: readonly AfterResponseHook[];
}

/** Hooks with every list present (empty when none). */
export type ResolvedHooks = {
  readonly [K in keyof Hooks]-?: readonly NonNullable<Hooks[K]>[number][];
};

const HOOK_NAMES = ['beforeRequest', 'beforeRedirect', 'beforeRetry', 'afterResponse'] as const;
const NONE: ResolvedHooks = {
  beforeRequest: [],
  beforeRedirect: [],
  beforeRetry: [],
  afterResponse: [],
};

/** Checks `hooks` and appends its lists to `base` (the session's). */
export function resolveHooks(hooks: Hooks | undefined, base: ResolvedHooks = NONE): ResolvedHooks {
  if (hooks === undefined) return base;
  if (hooks === null || typeof hooks !== 'object') {
    throw new InvalidOptionError('hooks must be an object of arrays of functions');
  }
  const out = { ...base } as Record<keyof Hooks, readonly unknown[]>;
  for (const name of Object.keys(hooks)) {
    if (!(HOOK_NAMES as readonly string[]).includes(name)) {
      throw new InvalidOptionError(
        `unknown hook ${JSON.stringify(name)}; use one of ${HOOK_NAMES.join(', ')}`,
      );
    }
    const list = hooks[name as keyof Hooks];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((hook) => typeof hook === 'function')) {
      throw new InvalidOptionError(`hooks.${name} must be an array of functions`);
    }
    out[name as keyof Hooks] = [...(base[name as keyof Hooks] as readonly unknown[]), ...list];
  }
  return out as ResolvedHooks;
}

/** Runs one hook; what it throws becomes a {@link HookError} (a typed error passes as it is). */
export async function runHook<T>(name: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof NetError) throw error;
    throw new HookError(name, error);
  }
}
