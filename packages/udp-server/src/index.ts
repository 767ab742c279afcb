/**
 * `@net/udp-server`: datagram servers and a UDP request client, the Python Cookbook's
 * recipe 11.3 (a `socketserver.UDPServer` time server) as a Node library.
 *
 * {@link createUdpServer} calls a handler for every datagram; the handler answers with
 * `msg.reply(data)` (or fire-and-forget `msg.send(data)`), may be async, and may throw
 * without taking the server down. A bound on handlers in flight drops (and counts)
 * datagrams under overload. {@link udpRequest}
 * sends one request with timeout, retries and backoff; {@link createUdpClient} runs many
 * requests over one socket and matches replies to them (FIFO, or by an id you encode).
 *
 * @example
 * ```ts
 * import { createUdpServer, formatCtime, udpRequest } from '@net/udp-server';
 *
 * const server = createUdpServer(async (msg) => {
 *   await msg.reply(formatCtime(new Date()));     // the recipe's TimeHandler
 * });
 * const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
 * const answer = await udpRequest({ host: '127.0.0.1', port }, new Uint8Array(), {
 *   timeout: 1_000,
 *   retries: 3,
 * });
 * console.log(new TextDecoder().decode(answer));   // "Tue Nov 24 10:00:00 2026"
 * await server.close();
 * ```
 *
 * @packageDocumentation
 */
export {
  type AddressFamily,
  MAX_IPV4_PAYLOAD,
  MAX_IPV6_PAYLOAD,
  type UdpTarget,
} from './address.js';
export {
  createUdpClient,
  type ReplyIdCodec,
  UDP_CLIENT_DEFAULTS,
  UDP_REQUEST_DEFAULTS,
  type UdpClient,
  type UdpClientOptions,
  type UdpClientStats,
  type UdpRequestOptions,
  type UdpSingleRequestOptions,
  udpRequest,
} from './client.js';
export { formatCtime } from './ctime.js';
export {
  AlreadyBoundError,
  BindError,
  ClientClosedError,
  DatagramTooLargeError,
  EndpointError,
  HandlerError,
  InvalidArgumentError,
  ListenError,
  NetError,
  RequestAbortedError,
  RequestTimeoutError,
  SendError,
  ServerClosedError,
  ServerStateError,
} from './errors.js';
export type { Payload } from './payload.js';
export {
  createUdpServer,
  UDP_BIND_DEFAULTS,
  UDP_SERVER_DEFAULTS,
  type UdpBindOptions,
  type UdpBoundAddress,
  type UdpErrorContext,
  type UdpHandler,
  type UdpMessage,
  type UdpServer,
  type UdpServerOptions,
  type UdpServerStats,
} from './server.js';
export type { SocketOptions } from './socket.js';
