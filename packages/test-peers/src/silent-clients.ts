/**
 * Floods of silent clients for the connection-lifecycle tests of every stream server:
 * connections that never send a byte, opened from another process so that the test's own
 * `/proc/self/fd` counts the server's sockets only.
 */
import { fork } from 'node:child_process';
import { readdirSync } from 'node:fs';

/** Open file descriptors of this process (Linux): the server's sockets, when clients run elsewhere. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** What {@link holdSilentClients} resolves with. */
export interface SilentReport {
  /** Connections opened. */
  opened: number;
  /** Of those, how many the server closed (an end or a reset seen) within `holdMs`. */
  closedByServer: number;
  /** For each closed one: how (`'end'`, `'reset'`, `'close'`) and ms after it was opened. */
  results: Array<{ how: string; after: number }>;
  /** Most file descriptors this process held while the clients were out, above its count at the start. */
  peakFds: number;
  /** Most connections `active` returned while the clients were out (0 without `active`). */
  peakActive: number;
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
  /** The server's count of open connections (its `stats().active`), sampled for `peakActive`. */
  active?: () => number;
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
  const { batch = 50, holdMs, onOpened, cleanup, active } = options;
  // Sampled every 5 ms while the clients are out: the peaks a flood pushes this process to.
  const startFds = openFds();
  let peakFds = 0;
  let peakActive = 0;
  const sample = (): void => {
    peakFds = Math.max(peakFds, openFds() - startFds);
    if (active !== undefined) peakActive = Math.max(peakActive, active());
  };
  const sampler = setInterval(sample, 5);
  const child = fork(
    new URL('./silent-clients-child.mjs', import.meta.url),
    [port, count, batch, holdMs].map(String),
    { stdio: 'ignore' },
  );
  cleanup?.(() => child.kill('SIGKILL'));
  const report: Partial<SilentReport> = {};
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(sampler);
      child.kill('SIGKILL');
      reject(new Error('silent clients did not report in time'));
    }, holdMs + 20_000);
    child.on('message', (message: Partial<SilentReport>) => {
      Object.assign(report, message);
      if (message.opened !== undefined) onOpened?.();
    });
    child.on('error', (error) => {
      clearInterval(sampler);
      reject(error);
    });
    child.on('exit', () => {
      clearTimeout(timer);
      clearInterval(sampler);
      if (report.opened === undefined || report.results === undefined) {
        reject(new Error('silent clients exited without a report'));
      } else {
        resolve({ ...(report as SilentReport), peakFds, peakActive });
      }
    });
  });
}
