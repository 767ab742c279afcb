/**
 * Small helpers every package's tests were writing for themselves: the error a call throws,
 * and a loopback port for a peer that binds its own.
 */
import { createServer } from 'node:net';

/**
 * The error `fn` throws synchronously, typed as the caller expects (a `NetError` with its
 * `code`, say); fails the test when `fn` throws nothing.
 */
export function thrown<E = Error & { code?: string }>(fn: () => unknown): E {
  try {
    fn();
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a throw');
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a peer that binds a port it is
 * given (nginx, Prometheus, a Python script with a fixed address). Another process may take
 * it in between; the peer then fails to bind and says so.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
