// A server under test in its own fresh Node process, so that it has its own heap, JIT and
// event loop (as in a real deployment) and its CPU time can be read from /proc/<pid>/stat
// without counting the load generator's.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const TICKS_PER_SECOND = 100; // USER_HZ: utime and stime in /proc/<pid>/stat count these

/**
 * Starts `node <script> ...args`; the script prints `PORT <n>` once it listens. Returns
 * the port, `cpuSeconds()` (user + system CPU time of the process so far) and `close()`.
 */
export async function startServerProcess(script, args = []) {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${script} ${args.join(' ')} exited with ${code} before listening`);
    }),
  ]);
  const match = /^PORT (\d+)$/.exec(line);
  if (match === null) throw new Error(`${script} printed ${JSON.stringify(line)}, not PORT <n>`);
  return {
    port: Number(match[1]),
    pid: child.pid,
    cpuSeconds: () => processCpuSeconds(child.pid),
    close: async () => {
      if (child.exitCode !== null) return;
      child.kill();
      await once(child, 'exit');
    },
  };
}

/** utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat). */
export function processCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its ')' are plain.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
