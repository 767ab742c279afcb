/**
 * Address helpers shared by the server and the client: which socket type a host needs,
 * how large a datagram to it may be, and a canonical form for comparing peers.
 */
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4, SocketAddress } from 'node:net';
import { InvalidArgumentError } from './errors.js';

/** Largest UDP payload over IPv4: 65,535 − 20 (IP header) − 8 (UDP header). */
export const MAX_IPV4_PAYLOAD = 65_507;
/** Largest UDP payload over IPv6 without jumbograms: 65,535 (payload length) − 8 (UDP header). */
export const MAX_IPV6_PAYLOAD = 65_527;

/** `'IPv4'` or `'IPv6'`, as Node's `dgram` reports it. */
export type AddressFamily = 'IPv4' | 'IPv6';

/** A host (IP literal or name) and a port. */
export interface UdpTarget {
  /** IP address or host name (resolved once with the system resolver). */
  host: string;
  /** UDP port, 1–65535. */
  port: number;
}

/** A resolved address: canonical text and family. */
export interface ResolvedAddress {
  address: string;
  family: AddressFamily;
}

/**
 * The largest payload that fits one datagram to `address`. IPv4-mapped IPv6 addresses
 * (`::ffff:1.2.3.4`, which a dual-stack socket sees for IPv4 peers) travel over IPv4.
 */
export function maxPayloadFor(address: string, family: AddressFamily): number {
  return family === 'IPv4' || address.includes('.') ? MAX_IPV4_PAYLOAD : MAX_IPV6_PAYLOAD;
}

/** Resolves `host` to one address in canonical form (IPv6 literals compressed, lower-case). */
export async function resolveHost(host: string): Promise<ResolvedAddress> {
  if (typeof host !== 'string' || host.length === 0) {
    throw new InvalidArgumentError(`host must be a non-empty string, got ${String(host)}`);
  }
  const version = isIP(host);
  if (version === 4) return { address: host, family: 'IPv4' };
  if (version === 6) {
    return {
      address: new SocketAddress({ address: host, family: 'ipv6' }).address,
      family: 'IPv6',
    };
  }
  const found = await lookup(host);
  return { address: found.address, family: isIPv4(found.address) ? 'IPv4' : 'IPv6' };
}

/** Throws unless `port` is an integer in `min`–65535. */
export function checkPort(port: unknown, min: number): asserts port is number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < min || port > 65_535) {
    throw new InvalidArgumentError(
      `port must be an integer from ${min} to 65535, got ${String(port)}`,
    );
  }
}
