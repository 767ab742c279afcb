/**
 * `@net/hmac-auth`: HMAC challenge-response authentication over any duplex stream
 * (Python Cookbook recipe 11.9), and the handshake of Python's `multiprocessing.connection`.
 *
 * The server sends fresh random bytes; the client proves it holds the shared key by
 * answering with their HMAC; the server compares in constant time. Authentication is not
 * encryption: use TLS when the traffic itself must be private.
 *
 * @example
 * ```ts
 * import { connect, createServer } from 'node:net';
 * import { clientAuthenticate, serverAuthenticate } from '@net/hmac-auth';
 * import { createStreamReader } from '@net/stream-reader';
 *
 * const secretKey = Buffer.from('peekaboo');
 * const server = createServer(async (socket) => {
 *   socket.on('error', () => {});
 *   if (!(await serverAuthenticate(socket, secretKey))) {
 *     socket.destroy();
 *     return;
 *   }
 *   const hello = await createStreamReader(socket).readExactly(11); // nothing was stolen
 *   socket.end(hello);
 * });
 * server.listen(0, '127.0.0.1', () => {
 *   const { port } = server.address() as { port: number };
 *   const socket = connect(port, '127.0.0.1', async () => {
 *     await clientAuthenticate(socket, secretKey);
 *     socket.write('Hello World');
 *     socket.once('data', (echo) => {
 *       console.log(String(echo)); // Hello World
 *       server.close();
 *     });
 *     socket.resume(); // the handshake hands the socket back paused
 *   });
 * });
 * ```
 *
 * @packageDocumentation
 */
export type {
  MultiprocessingDigest,
  RecipeDigest,
  SecretKey,
} from './digests.js';
export {
  AuthenticationFailedError,
  AuthenticationRejectedError,
  HandshakeAbortedError,
  HandshakeConnectionError,
  HandshakeError,
  HandshakeProtocolError,
  HandshakeTimeoutError,
  InvalidArgumentError,
  NetError,
  UnsupportedDigestError,
} from './errors.js';
export {
  answerChallenge,
  CHALLENGE_DEFAULTS,
  type ChallengeOptions,
  type DeliverChallengeOptions,
  deliverChallenge,
} from './multiprocessing.js';
export {
  AUTHENTICATE_DEFAULTS,
  type AuthenticateOptions,
  clientAuthenticate,
  type ServerAuthenticateOptions,
  serverAuthenticate,
} from './recipe.js';
export type {
  ByteChannel,
  ByteTransport,
  ChannelReadOptions,
  MessageConnection,
  MessageTransport,
  RecvBytesOptions,
} from './transport.js';
