import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDefaultSession, paginate, Session } from '../src/index.js';
import { type Link, type Links, parseLinks } from '../src/links.js';
import { DEFAULT_MAX_PAGES, paginatePages, resolveMaxPages } from '../src/paginate.js';
import { startServer, type TestServer } from './helpers.js';

const BASE = 'https://api.example.com/items?page=1';

/** The links as plain objects, so `toEqual` compares fields only. */
function plain(links: Links): Record<string, Record<string, string>> {
  return Object.fromEntries(Object.entries(links).map(([key, link]) => [key, { ...link }]));
}

describe('parseLinks', () => {
  it("parses GitHub's style and keys each link by its rel", () => {
    const links = parseLinks(
      '<https://api.github.com/repositories/1/issues?page=2>; rel="next", ' +
        '<https://api.github.com/repositories/1/issues?page=5>; rel="last"',
      'https://api.github.com/repositories/1/issues',
    );
    expect(plain(links)).toEqual({
      next: { url: 'https://api.github.com/repositories/1/issues?page=2', rel: 'next' },
      last: { url: 'https://api.github.com/repositories/1/issues?page=5', rel: 'last' },
    });
  });

  it('resolves relative references against the base URL', () => {
    const links = parseLinks(
      '</items?page=2>; rel=next, <?page=3>; rel=third, <other>; rel=sibling, <//cdn.example.net/x>; rel=cdn, <>; rel=self',
      BASE,
    );
    expect(links.next?.url).toBe('https://api.example.com/items?page=2');
    expect(links.third?.url).toBe('https://api.example.com/items?page=3');
    expect(links.sibling?.url).toBe('https://api.example.com/other');
    expect(links.cdn?.url).toBe('https://cdn.example.net/x');
    expect(links.self?.url).toBe(BASE);
  });

  it('does not split on commas or semicolons inside <...> or quoted strings', () => {
    const links = parseLinks(
      '<https://x.example/a,b;c>; rel="next"; title="one, two; three", <https://x.example/z>; rel=last',
      BASE,
    );
    expect(plain(links)).toEqual({
      next: { url: 'https://x.example/a,b;c', rel: 'next', title: 'one, two; three' },
      last: { url: 'https://x.example/z', rel: 'last' },
    });
  });

  it('undoes backslash escapes in quoted strings', () => {
    const links = parseLinks('</a>; rel=next; title="say \\"hi\\" \\\\ bye"', BASE);
    expect(links.next?.title).toBe('say "hi" \\ bye');
  });

  it('files a link with several relation types under each, with rel set to that type', () => {
    const links = parseLinks('</p2>; rel="next prefetch"; type="text/html"', BASE);
    expect(plain(links)).toEqual({
      next: { url: 'https://api.example.com/p2', rel: 'next', type: 'text/html' },
      prefetch: { url: 'https://api.example.com/p2', rel: 'prefetch', type: 'text/html' },
    });
  });

  it('keeps the first link of each relation type and the first occurrence of a parameter', () => {
    const links = parseLinks(
      '</first>; rel=next; rel=last; title=a; title=b, </second>; rel="next last"',
      BASE,
    );
    expect(plain(links)).toEqual({
      next: { url: 'https://api.example.com/first', rel: 'next', title: 'a' },
      last: { url: 'https://api.example.com/second', rel: 'last' },
    });
  });

  it('keys a link without rel (or with an empty one) by its URL', () => {
    const links = parseLinks('</a>; title=x, </b>; rel=""', BASE);
    expect(plain(links)).toEqual({
      'https://api.example.com/a': { url: 'https://api.example.com/a', rel: '', title: 'x' },
      'https://api.example.com/b': { url: 'https://api.example.com/b', rel: '' },
    });
  });

  it('gives bare parameters the value "" and lower-cases parameter names and rel types', () => {
    const links = parseLinks('</a>; REL="Next"; Crossorigin; HrefLang=DE; anchor="#x"', BASE);
    expect(plain(links)).toEqual({
      next: {
        url: 'https://api.example.com/a',
        rel: 'next',
        crossorigin: '',
        hreflang: 'DE',
        anchor: '#x',
      },
    });
  });

  it('accepts any whitespace around separators, and none', () => {
    const expected = {
      next: { url: 'https://api.example.com/2', rel: 'next', title: 't' },
      last: { url: 'https://api.example.com/9', rel: 'last' },
    };
    for (const header of [
      '</2>;rel=next;title=t,</9>;rel=last',
      '  </2>  ;  rel = "next" ;\ttitle= t  ,  ,  </9> ; rel =last  ',
      '\t</2>\t;\trel="next"\t;\ttitle="t"\t,\t</9>;rel="last"\t,',
    ]) {
      expect(plain(parseLinks(header, BASE)), header).toEqual(expected);
    }
  });

  it('parses each value of a repeated header, first occurrence winning across them', () => {
    const links = parseLinks(['</2>; rel=next', '</9>; rel=last, </3>; rel=next'], BASE);
    expect(links.next?.url).toBe('https://api.example.com/2');
    expect(links.last?.url).toBe('https://api.example.com/9');
  });

  it('keeps an unterminated quote in one header value from swallowing the next value', () => {
    const links = parseLinks(['</2>; rel=next; title="oops', '</9>; rel=last'], BASE);
    expect(plain(links)).toEqual({
      next: { url: 'https://api.example.com/2', rel: 'next' },
      last: { url: 'https://api.example.com/9', rel: 'last' },
    });
  });

  it('skips malformed link-values and parameters, keeping the well-formed rest', () => {
    const links = parseLinks(
      [
        'garbage, </a>; rel=a',
        'https://no-brackets.example; rel=b', // no <...>: skipped
        '<https://broken.example, </c>; rel=c', // a stray `<` restarts at the next one
        '</d>; rel=d; =novalue; ; title t; "junk"; type=text/plain',
        '</e>; rel=e junk; title=kept', // an unquoted value with a space in it
        '</f>; rel="f"x; media=screen', // junk after a quoted value
        '<http://[bad>; rel=g', // an unparsable URL
        '</h>; rel=h; title="unterminated',
        '</i', // no closing `>`
      ],
      BASE,
    );
    expect(plain(links)).toEqual({
      a: { url: 'https://api.example.com/a', rel: 'a' },
      c: { url: 'https://api.example.com/c', rel: 'c' },
      d: { url: 'https://api.example.com/d', rel: 'd', type: 'text/plain' },
      'https://api.example.com/e': { url: 'https://api.example.com/e', rel: '', title: 'kept' },
      'https://api.example.com/f': { url: 'https://api.example.com/f', rel: '', media: 'screen' },
      h: { url: 'https://api.example.com/h', rel: 'h' },
    });
  });

  it('returns an empty object for an absent, empty or unusable header', () => {
    for (const header of [undefined, '', '   ', ',,,', 'nonsense', [], ['<'], ['"<a>; rel=x']]) {
      expect(Object.keys(parseLinks(header, BASE)), String(header)).toEqual([]);
    }
  });

  it('still resolves absolute references when the base URL is unusable', () => {
    const links = parseLinks('<https://x.example/2>; rel=next, </3>; rel=last', 'not a url');
    expect(plain(links)).toEqual({ next: { url: 'https://x.example/2', rel: 'next' } });
  });

  it('cannot be confused by rel types or parameters named like Object properties', () => {
    const links = parseLinks(
      '</a>; rel="__proto__ constructor"; toString=x; url="https://evil.example/"; __proto__=y',
      BASE,
    );
    // Looked up by a string key, as a caller with a rel from elsewhere would.
    const byRel = (rel: string) => links[rel];
    expect(byRel('__proto__')?.url).toBe('https://api.example.com/a');
    expect(byRel('constructor')?.url).toBe('https://api.example.com/a');
    expect(byRel('hasOwnProperty')).toBeUndefined();
    // `url` and `rel` cannot be overwritten by parameters of the same name.
    expect({ ...byRel('constructor') }).toEqual({
      url: 'https://api.example.com/a',
      rel: 'constructor',
      tostring: 'x',
      ['__proto__']: 'y',
    });
  });

  it('decodes title* (RFC 8187) into title, keeping title* as sent', () => {
    const utf8 = parseLinks(
      `</a>; rel=a; title="plain"; title*=UTF-8'de'n%c3%a4chstes%20Kapitel`,
      BASE,
    );
    expect(utf8.a?.title).toBe('nächstes Kapitel');
    expect(utf8.a?.['title*']).toBe("UTF-8'de'n%c3%a4chstes%20Kapitel");
    const latin1 = parseLinks(`</b>; rel=b; title*=iso-8859-1''%A3%20rates`, BASE);
    expect(latin1.b?.title).toBe('£ rates');
    // Undecodable: another charset, bad UTF-8, a bad escape. `title` stays as sent, if any.
    for (const [header, title] of [
      [`</c>; rel=c; title=t; title*=koi8-r''%C1`, 't'],
      [`</c>; rel=c; title*=UTF-8''%C3%28`, undefined],
      [`</c>; rel=c; title*=UTF-8''%zz`, undefined],
      [`</c>; rel=c; title*=nothing`, undefined],
    ] as const) {
      expect(parseLinks(header, BASE).c?.title, header).toBe(title);
    }
  });

  it('returns frozen links', () => {
    const links = parseLinks('</a>; rel=next', BASE);
    expect(Object.isFrozen(links)).toBe(true);
    expect(Object.isFrozen(links.next)).toBe(true);
  });

  it('parses a header at the 16 KiB header limit in linear time, even when adversarial', () => {
    const size = 16 * 1024;
    const shapes = [
      '<'.repeat(size), // each `<` restarts the link-value
      `<a>${';'.repeat(size)}`,
      `<a>; title="${'\\"'.repeat(size / 2)}`, // unterminated quoted string of escapes
      `<a>; x${' '.repeat(size)}y`,
      ` ,${'x'.repeat(size)}`,
      `<a>; rel="${'next '.repeat(size / 5)}"`,
      `<a>; title*=UTF-8''${'%'.repeat(size)}`,
    ];
    const started = performance.now();
    for (let round = 0; round < 20; round++) {
      for (const header of shapes) parseLinks(header, BASE);
    }
    // 140 parses of 16 KiB: milliseconds when linear; a quadratic scan would take minutes.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

interface FakePage {
  url: string;
  links: Links;
  number: number;
}

/**
 * A fake `fetchPage` over pages `/p/1` .. `/p/<count>`, each linking to the next (the last
 * to `lastNext`, if given); `requested` records every URL fetched.
 */
function fakeSite(count: number, lastNext?: string) {
  const requested: string[] = [];
  const fetchPage = async (url: string): Promise<FakePage> => {
    requested.push(url);
    const number = Number(new URL(url, 'https://site.example').pathname.split('/')[2]);
    const next = number < count ? `/p/${number + 1}` : lastNext;
    const absolute = new URL(`/p/${number}`, 'https://site.example').href;
    return {
      url: absolute,
      number,
      links: parseLinks(next === undefined ? undefined : `<${next}>; rel="next"`, absolute),
    };
  };
  return { requested, fetchPage };
}

async function collect<T>(iterator: AsyncIterable<T>, limit = 1000): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) {
    items.push(item);
    if (items.length > limit) throw new Error('iteration did not stop');
  }
  return items;
}

describe('paginatePages', () => {
  it('follows next links until a page has none', async () => {
    const site = fakeSite(3);
    const pages = await collect(paginatePages('https://site.example/p/1', site.fetchPage, 10));
    expect(pages.map((page) => page.number)).toEqual([1, 2, 3]);
    expect(site.requested).toEqual([
      'https://site.example/p/1',
      'https://site.example/p/2',
      'https://site.example/p/3',
    ]);
  });

  it('fetches exactly maxPages pages when more exist, and all when maxPages is their count', async () => {
    for (const maxPages of [1, 2, 4]) {
      const site = fakeSite(5);
      const pages = await collect(paginatePages('/p/1', site.fetchPage, maxPages));
      expect(pages.map((page) => page.number)).toEqual([1, 2, 3, 4].slice(0, maxPages));
      expect(site.requested).toHaveLength(maxPages);
    }
    const exact = fakeSite(5);
    expect(await collect(paginatePages('/p/1', exact.fetchPage, 5))).toHaveLength(5);
    expect(exact.requested).toHaveLength(5);
    const none = fakeSite(5);
    expect(await collect(paginatePages('/p/1', none.fetchPage, 0))).toEqual([]);
    expect(none.requested).toEqual([]);
  });

  it('fetches nothing before it is asked for a page, and nothing after a break', async () => {
    const site = fakeSite(10);
    const iterator = paginatePages('/p/1', site.fetchPage, 100);
    expect(site.requested).toEqual([]);
    let seen = 0;
    for await (const page of iterator) {
      seen++;
      // The page being looked at has been fetched, the one after it not yet.
      expect(site.requested).toHaveLength(page.number);
      if (page.number === 2) break;
    }
    expect(seen).toBe(2);
    expect(site.requested).toHaveLength(2);
  });

  it('stops without an error when a next link points back to a page already fetched', async () => {
    // Page 3 links back to page 1 (with a fragment, still the same page).
    const site = fakeSite(3, 'https://site.example/p/1#again');
    const pages = await collect(paginatePages('/p/1', site.fetchPage, 100));
    expect(pages.map((page) => page.number)).toEqual([1, 2, 3]);
    expect(site.requested).toHaveLength(3);
    const selfLoop = fakeSite(1, '/p/1');
    expect(await collect(paginatePages('/p/1', selfLoop.fetchPage, 100))).toHaveLength(1);
    expect(selfLoop.requested).toHaveLength(1);
  });

  it('passes a failed fetch on to the consumer', async () => {
    const failure = new Error('page 2 failed');
    const fetchPage = async (url: string): Promise<FakePage> => {
      if (url.endsWith('/2')) throw failure;
      return { url, number: 1, links: parseLinks('</p/2>; rel=next', url) };
    };
    const pages: FakePage[] = [];
    await expect(async () => {
      for await (const page of paginatePages('https://site.example/p/1', fetchPage, 10)) {
        pages.push(page);
      }
    }).rejects.toBe(failure);
    expect(pages).toHaveLength(1);
  });
});

describe('resolveMaxPages', () => {
  it(`defaults to ${DEFAULT_MAX_PAGES} and accepts whole numbers from 0`, () => {
    expect(resolveMaxPages(undefined)).toBe(DEFAULT_MAX_PAGES);
    expect(resolveMaxPages(0)).toBe(0);
    expect(resolveMaxPages(7)).toBe(7);
  });

  it('refuses a negative, fractional or non-number maxPages with ERR_INVALID_ARGUMENT', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3', null]) {
      expect(() => resolveMaxPages(bad), String(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('pagination over HTTP', () => {
  let server: TestServer;
  let session: Session;
  const requested: string[] = [];

  beforeAll(async () => {
    // /items?page=1..3, each with a Link header to the next (relative) and the last page.
    server = await startServer((req, res) => {
      requested.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://x');
      const page = Number(url.searchParams.get('page') ?? 1);
      const links = [`</items?page=3>; rel="last"`];
      if (page < 3) links.unshift(`</items?page=${page + 1}>; rel="next"`);
      res.setHeader('link', links.join(', '));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ page }));
    });
    session = new Session({ baseUrl: server.url });
  });

  afterAll(async () => {
    await session.close();
    await closeDefaultSession();
    await server.close();
  });

  it('exposes the Link header as response.links, resolved against the response URL', async () => {
    const response = await session.get('/items');
    expect(response.links.next?.url).toBe(`${server.url}/items?page=2`);
    expect(response.links.last?.url).toBe(`${server.url}/items?page=3`);
  });

  it('follows rel="next" through every page', async () => {
    requested.length = 0;
    const pages: number[] = [];
    for await (const page of session.paginate('/items')) {
      pages.push(page.json<{ page: number }>().page);
      if (pages.length > 10) break;
    }
    expect(pages).toEqual([1, 2, 3]);
    expect(requested).toEqual(['/items', '/items?page=2', '/items?page=3']);
  });

  it('stops after maxPages pages, sending no further request', async () => {
    requested.length = 0;
    const pages: number[] = [];
    for await (const page of session.paginate('/items', { maxPages: 2 })) {
      pages.push(page.json<{ page: number }>().page);
      if (pages.length > 10) break;
    }
    expect(pages).toEqual([1, 2]);
    expect(requested).toEqual(['/items', '/items?page=2']);
  });

  it('paginates through the top-level paginate() too', async () => {
    requested.length = 0;
    const pages: number[] = [];
    for await (const page of paginate(`${server.url}/items`, { maxPages: 3 })) {
      pages.push(page.json<{ page: number }>().page);
      if (pages.length > 10) break;
    }
    expect(pages).toEqual([1, 2, 3]);
    expect(requested).toHaveLength(3);
  });

  it('refuses a bad maxPages when paginate() is called, before any request', () => {
    requested.length = 0;
    for (const maxPages of [-1, 2.5]) {
      expect(() => session.paginate('/items', { maxPages })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
    expect(requested).toEqual([]);
  });
});

// Keeps the exported type in use, so a change to its shape shows up in this file's typecheck.
const exampleLink: Link = { url: 'https://x.example/', rel: 'next', title: 't' };
void exampleLink;
