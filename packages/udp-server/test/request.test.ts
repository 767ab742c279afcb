import { describe, expect, it } from 'vitest';
import { RequestTimeoutError, UDP_REQUEST_DEFAULTS, udpRequest } from '../src/index.js';
import { collect, rawSocket, rejection, waitFor } from './helpers.js';

describe('udpRequest', () => {
  it('retries a silent peer `retries` times, then fails with ERR_REQUEST_TIMEOUT', async () => {
    const silent = await rawSocket();
    const seen = collect(silent);
    const target = { host: '127.0.0.1', port: silent.address().port };
    const error = await rejection(udpRequest(target, 'anyone?', { timeout: 20, retries: 3 }));
    expect(error.code).toBe('ERR_REQUEST_TIMEOUT');
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as RequestTimeoutError).attempts).toBe(4);
    await waitFor(() => seen.length === 4);
    expect(seen.map((s) => s.data.toString())).toEqual(Array(4).fill('anyone?'));
    // every attempt comes from the same socket
    expect(new Set(seen.map((s) => s.rinfo.port)).size).toBe(1);

    const once = await rejection(udpRequest(target, 'x', { timeout: 20, retries: 0 }));
    expect((once as RequestTimeoutError).attempts).toBe(1);
    expect(UDP_REQUEST_DEFAULTS).toEqual({ timeout: 1_000, retries: 3, backoff: 2 });
  });

  it('succeeds on a retry when the first datagram is lost', async () => {
    const flaky = await rawSocket();
    let count = 0;
    flaky.on('message', (_data, rinfo) => {
      count++;
      if (count >= 3) flaky.send(`answer to attempt ${count}`, rinfo.port, rinfo.address);
    });
    const reply = await udpRequest({ host: '127.0.0.1', port: flaky.address().port }, 'hello', {
      timeout: 20,
      retries: 5,
      backoff: 1,
    });
    expect(Buffer.from(reply).toString()).toBe('answer to attempt 3');
  });

  it('ignores replies from another port or another address', async () => {
    const server = await rawSocket('127.0.0.1');
    const otherPort = await rawSocket('127.0.0.1');
    // same port as the server, another loopback address
    const otherAddress = await rawSocket('127.0.0.2', server.address().port);
    server.on('message', (_data, rinfo) => {
      otherPort.send('from another port', rinfo.port, rinfo.address);
      otherAddress.send('from another address', rinfo.port, rinfo.address);
      // the real answer comes later, after the impostors had their chance
      setTimeout(() => server.send('genuine', rinfo.port, rinfo.address), 50);
    });
    const reply = await udpRequest({ host: '127.0.0.1', port: server.address().port }, 'who?', {
      timeout: 2_000,
      retries: 0,
    });
    expect(Buffer.from(reply).toString()).toBe('genuine');
    expect(otherAddress.address().port).toBe(server.address().port);
  });

  it('times out when only impostors answer', async () => {
    const server = await rawSocket();
    const impostor = await rawSocket();
    server.on('message', (_data, rinfo) => impostor.send('fake', rinfo.port, rinfo.address));
    const error = await rejection(
      udpRequest({ host: '127.0.0.1', port: server.address().port }, 'x', {
        timeout: 50,
        retries: 1,
      }),
    );
    expect(error.code).toBe('ERR_REQUEST_TIMEOUT');
  });

  it('stops on abort', async () => {
    const silent = await rawSocket();
    const target = { host: '127.0.0.1', port: silent.address().port };
    const controller = new AbortController();
    const pending = udpRequest(target, 'x', { timeout: 5_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user gave up')), 20);
    const error = await rejection(pending);
    expect(error.code).toBe('ERR_ABORTED');
    expect((error.cause as Error).message).toBe('user gave up');
    const already = await rejection(udpRequest(target, 'x', { signal: AbortSignal.abort() }));
    expect(already.code).toBe('ERR_ABORTED');
  });

  it('validates its arguments', async () => {
    const target = { host: '127.0.0.1', port: 9 };
    for (const bad of [
      udpRequest({ host: '127.0.0.1', port: 0 }, 'x'),
      udpRequest({ host: '', port: 9 }, 'x'),
      udpRequest(target, 'x', { timeout: 0 }),
      udpRequest(target, 'x', { retries: -1 }),
      udpRequest(target, 'x', { backoff: 0.5 }),
      udpRequest(target, 42 as never),
    ]) {
      expect((await rejection(bad)).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});
