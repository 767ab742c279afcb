/** Listening and closing for the endpoints built on plain `node:net`/`node:http` servers. */
import type { Server } from 'node:net';

/** Listens on `host:port`; resolves with the bound port. */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/**
 * Stops accepting, runs `ask` (ask open connections to finish), then after `timeout` ms
 * runs `force`; resolves once the server has closed.
 */
export async function closeServer(
  server: Server,
  timeout: number,
  ask: () => void,
  force: () => void,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  ask();
  const timer = setTimeout(force, timeout);
  timer.unref();
  await closed;
  clearTimeout(timer);
}
