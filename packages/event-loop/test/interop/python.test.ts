import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PYTHON, requirePython, runPeer } from '@net/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTcpEchoServer,
  createUdpEchoServer,
  createUdpPoolServer,
  createUdpTimeServer,
  EventLoop,
  type HandlerError,
  WorkerPool,
} from '../../src/index.js';

const script = fileURLToPath(new URL('./recipe_clients.py', import.meta.url));

async function runClient(
  mode: string,
  port: number,
): Promise<{ code: number | null; output: string }> {
  const { code, output } = await runPeer(PYTHON, [script, mode, String(port)], { timeout: 25_000 });
  return { code, output: output.trim() };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function newLoop(): { loop: EventLoop; errors: HandlerError[] } {
  const errors: HandlerError[] = [];
  const loop = new EventLoop({ onError: (error) => errors.push(error) });
  cleanups.push(() => loop.close());
  return { loop, errors };
}

const portOf = (socket: { address(): unknown }) => (socket.address() as AddressInfo).port;

describe('the recipe 11.12 servers with Python socket clients', () => {
  for (const [mode, create, what] of [
    ['udp-time', createUdpTimeServer, 'UDP time server answers with time.ctime() text'],
    ['udp-echo', createUdpEchoServer, 'UDP echo server echoes datagrams from 0 to 8192 bytes'],
  ] as const) {
    it(what, async () => {
      requirePython();
      const { loop, errors } = newLoop();
      const server = await create(loop);
      expect(await runClient(mode, portOf(server.socket))).toEqual({ code: 0, output: 'OK' });
      expect(errors).toEqual([]);
    }, 30_000);
  }

  it('TCP echo server with client handlers echoes 8 concurrent Python clients', async () => {
    requirePython();
    const { loop, errors } = newLoop();
    const server = await createTcpEchoServer(loop);
    expect(await runClient('tcp-echo', portOf(server.socket))).toEqual({ code: 0, output: 'OK' });
    expect(errors).toEqual([]);
    expect(loop.stats().handlers).toBe(1); // every client handler removed itself
  }, 30_000);

  it('thread-pool handler: fib runs on the WorkerPool, results come back as loop events', async () => {
    requirePython();
    const { loop, errors } = newLoop();
    const pool = new WorkerPool<string, unknown>({
      filename: new URL('../fixtures/fib.mjs', import.meta.url),
      maxWorkers: 2,
    });
    cleanups.push(() => pool.destroy());
    const { server } = await createUdpPoolServer(loop, pool);
    expect(await runClient('udp-pool', portOf(server.socket))).toEqual({ code: 0, output: 'OK' });
    expect(pool.stats()).toMatchObject({ completed: 4, failed: 1 });
    expect(errors).toEqual([]);
  }, 30_000);
});
