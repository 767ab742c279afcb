/**
 * The http endpoint answers only requests addressed to it by a name it knows: a DNS
 * rebinding page (attacker.example resolved to 127.0.0.1) sends its own name as `Host`, so
 * refusing unknown names keeps other origins from reading `/stats`, `/metrics` and the
 * dashboard. Known: the bound address, `localhost`, and the `--allowed-host` names.
 */

/** `name` as URL hostnames compare: lowercase, IPv4 normalised, IPv6 without brackets, no trailing dot; `undefined` if it is no hostname. */
export function normalizeHostname(name: string): string | undefined {
  if (/[/?#@\\\s]/.test(name)) return undefined;
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  const literal = bare.includes(':') ? `[${bare}]` : bare;
  let hostname: string;
  try {
    const url = new URL(`http://${literal}/`);
    if (url.port !== '' || url.username !== '' || url.pathname !== '/') return undefined;
    hostname = url.hostname;
  } catch {
    return undefined;
  }
  if (hostname.startsWith('[')) hostname = hostname.slice(1, -1);
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}

/** The hostname of a `Host` header value (`name`, `name:port`, `[v6]:port`), normalised; `undefined` if malformed. */
export function hostOfHeader(header: string): string | undefined {
  let name = header;
  if (header.startsWith('[')) {
    const close = header.indexOf(']');
    if (close < 0) return undefined;
    const rest = header.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    name = header.slice(0, close + 1);
  } else {
    const colon = header.indexOf(':');
    if (colon >= 0) {
      if (!/^:\d{1,5}$/.test(header.slice(colon))) return undefined;
      name = header.slice(0, colon);
    }
  }
  return name === '' ? undefined : normalizeHostname(name);
}

/**
 * A predicate over `Host` header values: true for the bound address, `localhost` and the
 * allowed names (any port). A missing or malformed header is refused.
 */
export function createHostCheck(
  boundHost: string,
  allowedHosts: readonly string[],
): (header: string | undefined) => boolean {
  const known = new Set<string>();
  for (const name of [boundHost, 'localhost', ...allowedHosts]) {
    const normalized = normalizeHostname(name);
    if (normalized !== undefined) known.add(normalized);
  }
  return (header) => {
    if (header === undefined) return false;
    const host = hostOfHeader(header);
    return host !== undefined && known.has(host);
  };
}
