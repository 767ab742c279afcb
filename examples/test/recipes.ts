// What every recipe's test uses: its folder's scripts, and the server side of a pairing (a
// recipe script, Python's or ours, that prints its bound port as its first line).
// stopPeers() in afterEach kills every server a test left running.
import { fileURLToPath } from 'node:url';
import { type PeerResult, startPeer, stopPeers } from '@net/test-peers';
import { afterEach } from 'vitest';

/** The Node running the tests, for our side of each pairing. */
export const NODE = process.execPath;

/** The path of a script in a recipe's folder: `recipeScripts('11.02-tcp-server')('server.mjs')`. */
export function recipeScripts(folder: string): (name: string) => string {
  return (name) => fileURLToPath(new URL(`../${folder}/${name}`, import.meta.url));
}

afterEach(stopPeers, 20_000);

/**
 * Starts `command args` (a server that exits by itself after its bounded run, within 15 s at
 * most) and resolves once it printed its port; `result` is its exit and output.
 */
export async function startServer(
  command: string,
  args: string[],
): Promise<{ port: number; result: Promise<PeerResult> }> {
  const { match, result } = await startPeer(command, args, /^(\d+)\n/, { timeout: 15_000 });
  return { port: Number(match[1]), result };
}
