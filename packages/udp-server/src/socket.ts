/** Creating the `dgram` sockets the server and the client use, with their options applied. */
import { createSocket, type SocketOptions as DgramSocketOptions, type Socket } from 'node:dgram';
import { checkByteSize } from '@net/core';
import type { AddressFamily } from './address.js';

/** Socket-level options shared by servers and clients. */
export interface SocketOptions {
  /** Kernel receive buffer (SO_RCVBUF) in bytes; the OS may round or cap it. */
  recvBufferSize?: number | undefined;
  /** Kernel send buffer (SO_SNDBUF) in bytes; the OS may round or cap it. */
  sendBufferSize?: number | undefined;
}

/** Validates the buffer sizes before anything is created (`undefined` = the OS default). */
export function checkSocketOptions(options: SocketOptions): void {
  if (options.recvBufferSize !== undefined)
    checkByteSize('recvBufferSize', options.recvBufferSize, 1);
  if (options.sendBufferSize !== undefined)
    checkByteSize('sendBufferSize', options.sendBufferSize, 1);
}

type DgramLookup = NonNullable<DgramSocketOptions['lookup']>;

/**
 * A `udp4` or `udp6` socket for `family` with the given options.
 *
 * Every address this package sends to or binds is an IP literal of the socket's family
 * (peers' addresses as the kernel reported them, or hosts resolved once up front), so
 * the socket's `lookup` hands the literal straight back instead of going through
 * `dns.lookup()` and a `process.nextTick` on every datagram. Until the socket is
 * listening it answers on the next tick, as Node's own lookup does, so that `bind()`
 * stays asynchronous.
 */
export function openSocket(
  family: AddressFamily,
  options: SocketOptions & { reuseAddr?: boolean; ipv6Only?: boolean },
): Socket {
  const numericFamily = family === 'IPv4' ? 4 : 6;
  let listening = false;
  const lookup: DgramLookup = (address, _options, callback) => {
    if (listening) callback(null, address, numericFamily);
    else process.nextTick(callback, null, address, numericFamily);
  };
  const socket = createSocket({
    type: family === 'IPv4' ? 'udp4' : 'udp6',
    reuseAddr: options.reuseAddr ?? false,
    ipv6Only: options.ipv6Only ?? false,
    lookup,
    ...(options.recvBufferSize === undefined ? {} : { recvBufferSize: options.recvBufferSize }),
    ...(options.sendBufferSize === undefined ? {} : { sendBufferSize: options.sendBufferSize }),
  });
  socket.once('listening', () => {
    listening = true;
  });
  return socket;
}
