import { describe, expect, it } from 'vitest';
import { requirePeer, runPeer } from '../src/index.js';

const node = process.execPath;

describe('requirePeer', () => {
  it('passes for a command that runs and exits 0', () => {
    expect(() => requirePeer(node, ['-e', ''], 'Node.js')).not.toThrow();
  });

  it('fails, naming what to install, for a missing command or a failing probe', () => {
    expect(() =>
      requirePeer('net-test-peers-no-such-command', [], 'apt-get install nothing'),
    ).toThrow(/needs "net-test-peers-no-such-command" \(apt-get install nothing\)/);
    expect(() => requirePeer(node, ['-e', 'process.exit(3)'], 'Node.js')).toThrow(/needs/);
  });
});

describe('runPeer', () => {
  it('hands back the exit code, stdout, stderr and both in order, with input on stdin', async () => {
    const script =
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{process.stdout.write('out:'+s);process.stderr.write('err');process.exit(4)})";
    const seen: string[] = [];
    const result = await runPeer(node, ['-e', script], {
      input: 'hello',
      onStdout: (stdout) => seen.push(stdout),
    });
    expect(result).toMatchObject({ code: 4, stdout: 'out:hello', stderr: 'err' });
    expect(result.output).toContain('out:hello');
    expect(result.output).toContain('err');
    expect(seen.at(-1)).toBe('out:hello');
  });

  it('kills a peer that outlives its timeout (code null) and never rejects', async () => {
    const started = performance.now();
    const result = await runPeer(node, ['-e', 'setTimeout(() => {}, 60_000)'], { timeout: 300 });
    expect(result.code).toBeNull();
    expect(performance.now() - started).toBeLessThan(10_000);
    const missing = await runPeer('net-test-peers-no-such-command', []);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/ENOENT/);
  });
});
