/**
 * Parsing `Link` headers (RFC 8288 section 3) into {@link Links}, keyed by relation type, as
 * requests' `response.links`. One left-to-right scan, no backtracking: linear in the header
 * length, whatever the server sends. Malformed pieces are skipped; parsing never throws.
 */

/**
 * One link from a `Link` header: its target `url` (resolved against the response URL), the
 * relation type it is keyed under, and its other parameters (names lower-cased, values as
 * sent; a bare `; name` has the value `''`).
 */
export interface Link {
  /** The link target, resolved against the response URL (a WHATWG `href`). */
  url: string;
  /**
   * The relation type, lower-cased (`next`, `last`, ...): one type even when `rel` listed
   * several; `''` when the link had no `rel`.
   */
  rel: string;
  /**
   * Other parameters: `title`, `type`, `anchor`, `hreflang`, ... (the first occurrence of
   * each). A `title*` (RFC 8187) that decodes, in UTF-8 or ISO-8859-1, also sets `title`.
   */
  [param: string]: string;
}

/**
 * Links keyed by relation type (`links.next?.url`): a link whose `rel` lists several
 * types is under each of them, the first link of each type wins, and a link without `rel`
 * is keyed by its URL.
 */
export type Links = Readonly<Record<string, Link>>;

const NO_LINKS: Links = Object.freeze(Object.create(null) as Record<string, Link>);

/**
 * Parses `Link` header values (a repeated header as an array) into {@link Links}; URI
 * references are resolved against `baseUrl`, the URL of the response. Returns an empty
 * object for an absent or unusable header.
 */
export function parseLinks(header: string | string[] | undefined, baseUrl: string): Links {
  if (header === undefined) return NO_LINKS;
  const links: Record<string, Link> = Object.create(null);
  // Each header line is parsed on its own, so an unterminated quote in one cannot swallow
  // the links of the next.
  for (const line of typeof header === 'string' ? [header] : header) {
    if (typeof line === 'string') new LinkScanner(line, baseUrl, links).scan();
  }
  for (const key of Object.keys(links)) Object.freeze(links[key]);
  return Object.freeze(links);
}

const SEMICOLON = 0x3b;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LT = 0x3c;
const GT = 0x3e;
const EQUALS = 0x3d;

/** tchar (RFC 9110 section 5.6.2), by char code. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** A parameter as parsed: name lower-cased, value unquoted; `undefined` when malformed. */
type Param = [name: string, value: string] | undefined;

class LinkScanner {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly baseUrl: string,
    private readonly links: Record<string, Link>,
  ) {}

  scan(): void {
    const { text } = this;
    while (this.pos < text.length) {
      this.skipWhile((c) => isWhitespace(c) || c === COMMA);
      if (this.pos >= text.length) return;
      if (text.charCodeAt(this.pos) !== LT) {
        this.skipPast([COMMA]);
        continue;
      }
      const target = this.uriReference();
      if (target === undefined) continue;
      const params = this.params();
      this.add(target, params);
    }
  }

  /**
   * Reads `<...>` from the `<` at `pos`. A second `<` before the `>` means the first was
   * broken: scanning restarts there. Returns `undefined` (with `pos` moved on) when there
   * is no `>`.
   */
  private uriReference(): string | undefined {
    const { text } = this;
    let end = this.pos + 1;
    while (end < text.length) {
      const c = text.charCodeAt(end);
      if (c === GT) break;
      if (c === LT) {
        this.pos = end;
        return undefined;
      }
      end++;
    }
    if (end >= text.length) {
      this.pos = end;
      return undefined;
    }
    const reference = text.slice(this.pos + 1, end).trim();
    this.pos = end + 1;
    return reference;
  }

  /** Reads `; name[=value]` parameters up to the `,` that ends the link-value (or the end). */
  private params(): Map<string, string> {
    const { text } = this;
    const params = new Map<string, string>();
    for (;;) {
      this.skipWhile(isWhitespace);
      if (this.pos >= text.length) return params;
      const c = text.charCodeAt(this.pos);
      if (c === COMMA) {
        this.pos++;
        return params;
      }
      if (c !== SEMICOLON) {
        // Junk where a `;` should be: drop it, keep what the link had so far.
        this.skipPast([SEMICOLON, COMMA], true);
        continue;
      }
      this.pos++;
      const param = this.param();
      // RFC 8288: occurrences of rel, title, type, media, ... after the first are ignored.
      if (param !== undefined && !params.has(param[0])) params.set(param[0], param[1]);
    }
  }

  /** Reads one parameter after its `;`; a malformed one is skipped up to the next `;` or `,`. */
  private param(): Param {
    const { text } = this;
    this.skipWhile(isWhitespace);
    const start = this.pos;
    this.skipWhile((c) => c < 128 && TCHAR[c] === 1);
    const name = text.slice(start, this.pos).toLowerCase();
    this.skipWhile(isWhitespace);
    const c = text.charCodeAt(this.pos);
    if (name !== '' && (this.pos >= text.length || c === SEMICOLON || c === COMMA)) {
      return [name, ''];
    }
    if (name === '' || c !== EQUALS) return this.malformed();
    this.pos++;
    this.skipWhile(isWhitespace);
    let value: string | undefined;
    if (text.charCodeAt(this.pos) === QUOTE) {
      value = this.quotedString();
      if (value === undefined) return undefined; // unterminated: nothing is left to read
    } else {
      const valueStart = this.pos;
      this.skipWhile((c) => !isWhitespace(c) && c !== SEMICOLON && c !== COMMA && c !== QUOTE);
      value = text.slice(valueStart, this.pos);
    }
    this.skipWhile(isWhitespace);
    const next = text.charCodeAt(this.pos);
    if (this.pos < text.length && next !== SEMICOLON && next !== COMMA) return this.malformed();
    return [name, value];
  }

  /** Reads a quoted-string from the `"` at `pos`, undoing `\` escapes. */
  private quotedString(): string | undefined {
    const { text } = this;
    let value = '';
    let chunkStart = this.pos + 1;
    for (let i = chunkStart; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.pos = i + 1;
        return value + text.slice(chunkStart, i);
      }
      if (c === BACKSLASH && i + 1 < text.length) {
        value += text.slice(chunkStart, i);
        i++; // the escaped character is kept as is, even a quote or a backslash
        chunkStart = i;
      }
    }
    this.pos = text.length;
    return undefined;
  }

  private malformed(): undefined {
    this.skipPast([SEMICOLON, COMMA], true);
    return undefined;
  }

  /**
   * Moves `pos` past the next of `stops` outside a quoted string (or to the end). With
   * `stayBefore`, stops on it instead, so the caller sees which one ended the junk.
   */
  private skipPast(stops: number[], stayBefore = false): void {
    const { text } = this;
    let quoted = false;
    for (let i = this.pos; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (quoted) {
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) quoted = false;
      } else if (c === QUOTE) {
        quoted = true;
      } else if (stops.includes(c)) {
        this.pos = stayBefore ? i : i + 1;
        return;
      }
    }
    this.pos = text.length;
  }

  private skipWhile(test: (c: number) => boolean): void {
    const { text } = this;
    while (this.pos < text.length && test(text.charCodeAt(this.pos))) this.pos++;
  }

  /** Files the link under each of its relation types (or its URL), first one wins. */
  private add(reference: string, params: Map<string, string>): void {
    const url = resolve(reference, this.baseUrl);
    if (url === undefined) return;
    const rest: Record<string, string> = Object.create(null);
    for (const [name, value] of params) rest[name] = value;
    const title = rest['title*'] === undefined ? undefined : decodeExtValue(rest['title*']);
    if (title !== undefined) rest.title = title;
    const types = (params.get('rel') ?? '')
      .toLowerCase()
      .split(/[ \t]+/)
      .filter(Boolean);
    if (types.length === 0) {
      this.file(url, url, '', rest);
      return;
    }
    for (const rel of types) this.file(rel, url, rel, rest);
  }

  private file(key: string, url: string, rel: string, rest: Record<string, string>): void {
    if (key in this.links) return;
    const link = Object.assign(Object.create(null) as Link, rest);
    // Set last: a parameter named `url` or `rel` cannot replace the link's own fields.
    link.url = url;
    link.rel = rel;
    this.links[key] = link;
  }
}

function resolve(reference: string, baseUrl: string): string | undefined {
  try {
    return new URL(reference, baseUrl).href;
  } catch {
    // An unusable base still allows absolute references.
    try {
      return new URL(reference).href;
    } catch {
      return undefined;
    }
  }
}

const EXT_VALUE = /^([!#$%&+\-^_`{}~0-9a-z]+)'[^']*'(.*)$/i;
const VALUE_CHARS = /^(?:[!#$&+\-.^_`|~0-9a-z]|%[0-9a-f]{2})*$/i;

/**
 * Decodes an RFC 8187 ext-value (`UTF-8''%E2%82%AC%20rates`); `undefined` for another
 * charset or a malformed value.
 */
function decodeExtValue(extValue: string): string | undefined {
  const match = EXT_VALUE.exec(extValue);
  if (match === null) return undefined;
  const charset = (match[1] as string).toLowerCase();
  const encoded = match[2] as string;
  if (!VALUE_CHARS.test(encoded)) return undefined;
  const bytes = Buffer.from(
    encoded.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
  if (charset === 'iso-8859-1') return bytes.toString('latin1');
  if (charset !== 'utf-8') return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
