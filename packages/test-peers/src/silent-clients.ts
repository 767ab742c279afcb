/**
 * Floods of silent clients for the connection-lifecycle tests of every stream server:
 * connections that never send a byte, opened from another process so that the test's own
 * `/proc/self/fd` counts the server's sockets only.
 */
import { fork } from 'node:child_process';

/** What {@link holdSilentClients} resolves with. */
export interface SilentReport {
  /** Connections opened. */
  opened: number;
  /** Of those, how many the server closed (an end or a reset seen) within `holdMs`. */
  closedByServer: number;
  /** For each closed one: how (`'end'`, `'reset'`, `'close'`) and ms after it was opened. */
  results: Array<{ how: string; after: number }>;
}

/** Options of {@link holdSilentClients}. */
export interface HoldSilentClientsOptions {
  /** Connections opened at once. Default 50. */
  batch?: number;
  /** Ms the clients are held before the child destroys them all. */
  holdMs: number;
  /** Called once every connection is open. */
  onOpened?: () => void;
  /** Registers the child's kill, for the test's cleanup. */
  cleanup?: (kill: () => void) => void;
}

/**
 * Opens `count` silent connections to `127.0.0.1:port` in a child process, holds them up
 * to `holdMs`, and resolves with what the server did to them. Rejects if the child does
 * not report within `holdMs` + 20 s.
 */
export function holdSilentClients(
  port: number,
  count: number,
  options: HoldSilentClientsOptions,
): Promise<SilentReport> {
  const { batch = 50, holdMs, onOpened, cleanup } = options;
  const child = fork(
    new URL('./silent-clients-child.mjs', import.meta.url),
    [port, count, batch, holdMs].map(String),
    { stdio: 'ignore' },
  );
  cleanup?.(() => child.kill('SIGKILL'));
  const report: Partial<SilentReport> = {};
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('silent clients did not report in time'));
    }, holdMs + 20_000);
    child.on('message', (message: Partial<SilentReport>) => {
      Object.assign(report, message);
      if (message.opened !== undefined) onOpened?.();
    });
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      if (report.opened === undefined || report.results === undefined) {
        reject(new Error('silent clients exited without a report'));
      } else {
        resolve(report as SilentReport);
      }
    });
  });
}
