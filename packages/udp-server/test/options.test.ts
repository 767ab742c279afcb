import { AbortedError, InvalidArgumentError } from '@net/core';
import { describe, expect, it } from 'vitest';
import {
  createUdpClient,
  createUdpServer,
  RequestAbortedError,
  UDP_CLIENT_DEFAULTS,
  udpRequest,
} from '../src/index.js';
import { echoServer, onCleanup, rejection } from './helpers.js';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });

describe('options: core validators, undefined means the default', () => {
  it('every option set to undefined takes its default', async () => {
    const server = createUdpServer((msg) => msg.reply(msg.data), {
      maxInFlight: undefined,
      reuseAddr: undefined,
      ipv6Only: undefined,
      onError: undefined,
      recvBufferSize: undefined,
      sendBufferSize: undefined,
    });
    onCleanup(() => server.close());
    const { port } = await server.bind({ host: '127.0.0.1', port: undefined });
    const client = createUdpClient(
      { host: '127.0.0.1', port },
      { timeout: undefined, retries: undefined, backoff: undefined, ids: undefined },
    );
    onCleanup(() => client.close());
    const reply = await client.request('x', {
      timeout: undefined,
      retries: undefined,
      backoff: undefined,
      signal: undefined,
    });
    expect(Buffer.from(reply).toString()).toBe('x');
    const single = await udpRequest({ host: '127.0.0.1', port }, 'y', {
      timeout: undefined,
      retries: undefined,
    });
    expect(Buffer.from(single).toString()).toBe('y');
  });

  it('maxInFlight: 1 is accepted, 0 refused', () => {
    expect(() => createUdpServer(() => undefined, { maxInFlight: 1 })).not.toThrow();
    expect(() => createUdpServer(() => undefined, { maxInFlight: 0 })).toThrow(invalid);
    expect(() => createUdpServer(() => undefined, { maxInFlight: 1.5 })).toThrow(invalid);
  });

  it('buffer sizes: 1 byte is accepted, 0 refused', () => {
    expect(() => createUdpServer(() => undefined, { recvBufferSize: 1 })).not.toThrow();
    expect(() => createUdpServer(() => undefined, { sendBufferSize: 0 })).toThrow(invalid);
  });

  it('non-boolean flags and a non-function onError are refused', () => {
    expect(() => createUdpServer(() => undefined, { reuseAddr: 1 as never })).toThrow(invalid);
    expect(() => createUdpServer(() => undefined, { onError: 'log' as never })).toThrow(invalid);
  });

  it('timeout: 1 and 2^31-1 ms are accepted; 0 and 2^31 are refused', () => {
    const target = { host: '127.0.0.1', port: 9 };
    for (const timeout of [1, 2 ** 31 - 1]) {
      createUdpClient(target, { timeout }).close();
    }
    for (const timeout of [0, 2 ** 31, -1, Number.NaN]) {
      const thrown = (() => {
        try {
          createUdpClient(target, { timeout });
        } catch (error) {
          return error;
        }
      })();
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
    }
  });

  it('a per-request timeout over the timer ceiling is refused before anything is sent', async () => {
    const { port } = await echoServer();
    const client = createUdpClient({ host: '127.0.0.1', port });
    onCleanup(() => client.close());
    expect((await rejection(client.request('x', { timeout: 2 ** 31 }))).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(client.stats().sent).toBe(0);
  });

  it('retries: 0 accepted, -1 refused; backoff: 1 accepted, 0.5 refused', () => {
    const target = { host: '127.0.0.1', port: 9 };
    createUdpClient(target, { retries: 0, backoff: 1 }).close();
    expect(() => createUdpClient(target, { retries: -1 })).toThrow(invalid);
    expect(() => createUdpClient(target, { backoff: 0.5 })).toThrow(invalid);
  });

  it('null options are refused; the defaults are exported', () => {
    expect(() => createUdpClient({ host: '127.0.0.1', port: 9 }, null as never)).toThrow(invalid);
    expect(() => createUdpServer(() => undefined, null as never)).toThrow(invalid);
    expect(UDP_CLIENT_DEFAULTS).toEqual({ timeout: 1_000, retries: 0, backoff: 2 });
  });

  it("an aborted request is core's AbortedError (ERR_ABORTED)", async () => {
    const { port } = await echoServer();
    const error = await rejection(
      udpRequest({ host: '127.0.0.1', port }, 'x', { signal: AbortSignal.abort('stop') }),
    );
    expect(error).toBeInstanceOf(RequestAbortedError);
    expect(error).toBeInstanceOf(AbortedError);
    expect(error.code).toBe('ERR_ABORTED');
    expect(error.cause).toBe('stop');
  });
});
