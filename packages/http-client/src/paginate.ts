/**
 * Pagination by `Link: <...>; rel="next"` (RFC 8288), as GitHub and many REST APIs serve
 * it: an async iterator over the pages that fetches each one only when asked for.
 */
import { checkCount } from '@net/core';
import type { Links } from './links.js';

/** Pages fetched at most by one `paginate()` unless `maxPages` says otherwise. */
export const DEFAULT_MAX_PAGES = 100;

/** Options of `paginate()` besides the request options. */
export interface PaginateOptions {
  /**
   * The most pages to fetch (a whole number >= 0, default {@link DEFAULT_MAX_PAGES}); the
   * iteration ends quietly there even if the last page links to a next one.
   */
  maxPages?: number;
}

/** What pagination needs of a response: its final URL and its parsed `Link` header. */
export interface PageResponse {
  /** The URL the page came from, after redirects. */
  readonly url: string;
  /** The page's links; `links.next` leads to the following page. */
  readonly links: Links;
}

/**
 * Resolves `maxPages` (`undefined` = {@link DEFAULT_MAX_PAGES}); throws `InvalidArgumentError`
 * (`ERR_INVALID_ARGUMENT`) unless it is a whole number >= 0.
 */
export function resolveMaxPages(maxPages: unknown): number {
  if (maxPages === undefined) return DEFAULT_MAX_PAGES;
  checkCount('maxPages', maxPages);
  return maxPages;
}

/**
 * Yields the page at `url`, then the page its `links.next` points to, and so on, until a
 * page has no next link, `maxPages` pages were yielded, or the next link points back to a
 * page already fetched (a loop ends the iteration without an error). A page is fetched
 * only when the consumer asks for it, so breaking out of the loop sends no more requests.
 * Next links to another origin are followed (the session drops credentials there).
 */
export async function* paginatePages<R extends PageResponse>(
  url: string,
  fetchPage: (url: string) => Promise<R>,
  maxPages: number,
): AsyncGenerator<R, void, undefined> {
  const visited = new Set<string>();
  let next: string | undefined = url;
  for (let fetched = 0; fetched < maxPages && next !== undefined; fetched++) {
    const page = await fetchPage(next);
    visited.add(pageKey(next));
    visited.add(pageKey(page.url));
    yield page;
    const link = page.links.next?.url;
    next = link === undefined || visited.has(pageKey(link)) ? undefined : link;
  }
}

/** A URL as compared for loop detection: normalised, without its fragment. */
function pageKey(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.hash = '';
    return parsed.href;
  } catch {
    return url; // relative (the first URL, before a baseUrl) or unparsable: compare as given
  }
}
