import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type PeerResult, PYTHON, requirePython, runPeer } from '@net/test-peers';
import { describe, expect, it } from 'vitest';
import { createUdpClient, createUdpServer, formatCtime, udpRequest } from '../../src/index.js';
import { echoServer, onCleanup } from '../helpers.js';

const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** Runs a Python script to completion (killed after 20 s); returns its exit code and output. */
function runPython(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<PeerResult> {
  return runPeer(PYTHON, args, { env, timeout: 20_000 });
}

describe('interop with Python socket peers', () => {
  it.each(['127.0.0.1', '::1'])(
    "serves the recipe's time server to a Python client on %s (time.strptime)",
    async (host) => {
      requirePython();
      const server = createUdpServer(async (msg) => {
        await msg.reply(formatCtime(new Date())); // the recipe's TimeHandler
      });
      onCleanup(() => server.close());
      const { port } = await server.bind({ host, port: 0 });
      const { code, output } = await runPython([script('time_client.py'), host, String(port), '5']);
      expect(output).toMatch(/^OK [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\n$/);
      expect(code).toBe(0);
      expect(server.stats()).toMatchObject({ received: 5, replied: 5, handlerErrors: 0 });
    },
    30_000,
  );

  it('formatCtime matches time.ctime() across time zones, days and years', async () => {
    requirePython();
    const stamps = [0, 951_782_400, 1_709_251_199, 1_772_355_907, 1_795_514_400, 2_147_483_647];
    for (let day = 0; day < 40; day++) stamps.push(1_767_225_600 + day * 86_400 + day * 3_671);
    stamps.push(1_774_746_000, 1_792_890_000, 4_102_444_800); // DST edges, year 2100
    const savedTz = process.env.TZ;
    onCleanup(() => {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    });
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe']) {
      process.env.TZ = tz; // Node re-reads TZ on assignment
      const { code, output } = await runPython([script('ctime_dump.py'), ...stamps.map(String)], {
        ...process.env,
        TZ: tz,
      });
      expect(code).toBe(0);
      expect(stamps.map((t) => formatCtime(new Date(t * 1000)))).toEqual(
        output.trimEnd().split('\n'),
      );
    }
  }, 30_000);

  it('echoes 0 to 65,507 bytes to a Python client', async () => {
    requirePython();
    const { port } = await echoServer('127.0.0.1');
    const { code, output } = await runPython([
      script('echo_peer.py'),
      'client',
      '127.0.0.1',
      String(port),
      ...['0', '1', '512', '8192', '65507'],
    ]);
    expect(output).toBe('OK\n');
    expect(code).toBe(0);
  }, 30_000);

  it('udpRequest and createUdpClient talk to a Python server', async () => {
    requirePython();
    const child: ChildProcess = spawn(PYTHON, [script('echo_peer.py'), 'server', '127.0.0.1'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    onCleanup(() => child.kill());
    const [first] = (await once(child.stdout!, 'data')) as [Buffer];
    const port = Number(first.toString().trim());
    const target = { host: '127.0.0.1', port };
    expect(Buffer.from(await udpRequest(target, 'hello python')).toString()).toBe('HELLO PYTHON');
    const client = createUdpClient(target, { timeout: 2_000 });
    onCleanup(() => client.close());
    const words = ['alpha', 'beta', 'gamma', 'delta'];
    const replies = await Promise.all(words.map((w) => client.request(w)));
    expect(replies.map((r) => Buffer.from(r).toString())).toEqual(
      words.map((w) => w.toUpperCase()),
    );
    child.stdin!.end();
    await once(child, 'exit');
  }, 30_000);
});
