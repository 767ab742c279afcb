import { describe, expect, it } from 'vitest';
import { createUdpServer, HandlerError, udpRequest } from '../src/index.js';
import { onCleanup, rejection } from './helpers.js';

describe('a failing handler is reported and the server keeps serving', () => {
  it.each([
    [
      'throws',
      (text: string) => {
        throw new Error(`bad ${text}`);
      },
    ],
    [
      'rejects',
      async (text: string) => {
        await Promise.resolve();
        throw new Error(`bad ${text}`);
      },
    ],
  ] as const)('when it %s', async (_, fail) => {
    const reports: Array<{ error: Error; phase: string; port?: number }> = [];
    const server = createUdpServer(
      (msg) => {
        const text = Buffer.from(msg.data).toString();
        if (text.startsWith('boom')) return fail(text);
        return msg.reply(text.toUpperCase());
      },
      { onError: (error, { phase, port }) => reports.push({ error, phase, port }) },
    );
    onCleanup(() => server.close());
    const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
    const target = { host: '127.0.0.1', port };
    const timedOut = await rejection(udpRequest(target, 'boom 1', { timeout: 100, retries: 0 }));
    expect(timedOut.code).toBe('ERR_REQUEST_TIMEOUT');
    expect(Buffer.from(await udpRequest(target, 'fine')).toString()).toBe('FINE');
    await rejection(udpRequest(target, 'boom 2', { timeout: 100, retries: 0 }));
    expect(Buffer.from(await udpRequest(target, 'still fine')).toString()).toBe('STILL FINE');
    expect(reports.map((r) => r.phase)).toEqual(['handler', 'handler']);
    const first = reports[0]!.error as HandlerError;
    expect(first).toBeInstanceOf(HandlerError);
    expect(first.code).toBe('ERR_DATAGRAM_HANDLER_FAILED');
    expect((first.cause as Error).message).toBe('bad boom 1');
    expect(first.address).toBe('127.0.0.1');
    expect(first.port).toBe(reports[0]!.port);
    expect(server.stats()).toMatchObject({
      received: 4,
      replied: 2,
      handlerErrors: 2,
      inFlight: 0,
    });
  });

  it('survives a throwing onError, and warns once without onError', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    onCleanup(() => process.off('warning', onWarning));
    const quiet = createUdpServer((msg) => {
      if (msg.data.byteLength === 0) throw new Error('empty');
      return msg.reply(msg.data);
    });
    onCleanup(() => quiet.close());
    const loud = createUdpServer(
      (msg) => {
        if (msg.data.byteLength === 0) throw new Error('empty');
        return msg.reply(msg.data);
      },
      {
        onError: () => {
          throw new Error('onError itself fails');
        },
      },
    );
    onCleanup(() => loud.close());
    for (const server of [quiet, loud]) {
      const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
      const target = { host: '127.0.0.1', port };
      for (let i = 0; i < 3; i++) {
        await rejection(udpRequest(target, new Uint8Array(), { timeout: 50, retries: 0 }));
      }
      expect(Buffer.from(await udpRequest(target, 'ok')).toString()).toBe('ok');
      expect(server.stats().handlerErrors).toBe(3);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => w.includes('empty'))).toHaveLength(1);
  });
});
