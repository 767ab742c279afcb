// The server side of a pairing: a recipe script (Python's or ours) that prints its bound port
// as its first line. Every server a test starts is killed, if it still runs, and awaited by
// stopServers() in afterEach, so none outlives its test.
import { type PeerResult, runPeer } from '@net/test-peers';
import { afterEach } from 'vitest';

const running: { result: Promise<PeerResult>; stop: AbortController }[] = [];

afterEach(stopServers, 20_000);

/** Kills the servers still running and waits for them to exit. */
export async function stopServers(): Promise<void> {
  const servers = running.splice(0);
  for (const { stop } of servers) stop.abort();
  await Promise.all(servers.map(({ result }) => result));
}

/**
 * Starts `command args` (a server that exits by itself after its bounded run, within 15 s at
 * most) and resolves once it printed its port; `result` is its exit and output.
 */
export async function startServer(
  command: string,
  args: string[],
): Promise<{ port: number; result: Promise<PeerResult> }> {
  let printed: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => {
    printed = resolve;
  });
  const stop = new AbortController();
  const result = runPeer(command, args, {
    timeout: 15_000,
    signal: stop.signal,
    onStdout: (stdout) => {
      const line = /^(\d+)\n/.exec(stdout);
      if (line) printed(Number(line[1]));
    },
  });
  running.push({ result, stop });
  const bound = await Promise.race([port, result.then(() => undefined)]);
  if (bound === undefined) {
    throw new Error(`${args.join(' ')} printed no port:\n${(await result).output}`);
  }
  return { port: bound, result };
}
