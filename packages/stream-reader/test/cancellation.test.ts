import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createStreamReader } from '../src/index.js';
import { frame, rejectionOf, sourceOf } from './helpers.js';

describe('timeouts', () => {
  it('fails with ERR_TIMEOUT and loses no bytes of a partly filled readExactly', async () => {
    const source = sourceOf([Buffer.from('abcd')], { end: false });
    const reader = createStreamReader(source);
    const error = await rejectionOf(reader.readExactly(10, { timeout: 30 }));
    expect(error.code).toBe('ERR_TIMEOUT');
    expect(error.timeout).toBe(30);
    expect(reader.buffered).toBe(4);
    source.end('efghij');
    expect(Buffer.from(await reader.readExactly(10)).toString()).toBe('abcdefghij');
  });

  it('gives back the bytes readInto had copied into the caller view', async () => {
    const source = sourceOf([Buffer.from('abc')], { end: false });
    const reader = createStreamReader(source);
    const view = new Uint8Array(6);
    expect((await rejectionOf(reader.readInto(view, { timeout: 20 }))).code).toBe('ERR_TIMEOUT');
    view.fill(0); // the caller reuses its buffer; the reader must hold its own copy
    source.write('def');
    const again = new Uint8Array(6);
    await reader.readInto(again);
    expect(Buffer.from(again).toString()).toBe('abcdef');
  });

  it('gives back a parsed frame header and partial body', async () => {
    const whole = frame('0123456789');
    const source = sourceOf([whole.subarray(0, 7)], { end: false });
    const reader = createStreamReader(source);
    expect((await rejectionOf(reader.readFrame({ timeout: 20 }))).code).toBe('ERR_TIMEOUT');
    expect(reader.buffered).toBe(7);
    source.write(whole.subarray(7));
    expect(Buffer.from((await reader.readFrame())!).toString()).toBe('0123456789');
  });

  it('applies the reader-level default timeout and lets a call override it', async () => {
    const source = sourceOf([], { end: false });
    const reader = createStreamReader(source, { timeout: 20 });
    expect((await rejectionOf(reader.readLine())).code).toBe('ERR_TIMEOUT');
    const line = reader.readLine({ timeout: 0 });
    await sleep(60);
    source.write('late\n');
    expect(await line).toBe('late');
  });

  it('does not fire after the read completed', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from('x\n')], { end: false }));
    expect(await reader.readLine({ timeout: 20 })).toBe('x');
    await sleep(40); // a stray timer would throw into the void or disturb the next read
    expect(reader.buffered).toBe(0);
  });

  it('rejects invalid timeouts with ERR_INVALID_ARGUMENT', async () => {
    const reader = createStreamReader(sourceOf([]));
    for (const timeout of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect((await rejectionOf(reader.readExactly(1, { timeout }))).code).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
  });
});

describe('abort signals', () => {
  it('fails with ERR_ABORTED carrying the reason, and keeps the bytes', async () => {
    const source = sourceOf([Buffer.from('par')], { end: false });
    const reader = createStreamReader(source);
    const controller = new AbortController();
    const pending = reader.readUntil('\n', { signal: controller.signal });
    await sleep(5);
    const reason = new Error('shutting down');
    controller.abort(reason);
    const error = await rejectionOf(pending);
    expect(error.code).toBe('ERR_ABORTED');
    expect(error.cause).toBe(reason);
    source.write('tial\n');
    expect(await reader.readLine()).toBe('partial');
  });

  it('rejects at once with an already aborted signal, consuming nothing', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from('data')]));
    const error = await rejectionOf(reader.readExactly(2, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('ERR_ABORTED');
    expect(Buffer.from(await reader.readExactly(4)).toString()).toBe('data');
  });

  it('aborting a queued call leaves the calls around it intact', async () => {
    const source = sourceOf([], { end: false });
    const reader = createStreamReader(source);
    const controller = new AbortController();
    const first = reader.readExactly(3);
    const second = reader.readExactly(3, { signal: controller.signal });
    const third = reader.readExactly(3);
    controller.abort();
    source.write('abcdef');
    expect(Buffer.from(await first).toString()).toBe('abc');
    expect((await rejectionOf(second)).code).toBe('ERR_ABORTED');
    expect(Buffer.from(await third).toString()).toBe('def');
  });

  it('keeps the line of calls in order through aborts at its head, middle and tail, and after it empties', async () => {
    const source = sourceOf([], { end: false });
    const reader = createStreamReader(source);
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const calls = controllers.map((controller) =>
      reader.readExactly(2, { signal: controller.signal }),
    );
    source.write('a'); // the head has taken one byte when it is aborted: the byte goes back
    await sleep(1);
    for (const i of [0, 2, 4]) controllers[i]!.abort();
    source.write('bcd');
    expect(Buffer.from(await calls[1]!).toString()).toBe('ab');
    expect(Buffer.from(await calls[3]!).toString()).toBe('cd');
    for (const i of [0, 2, 4]) expect((await rejectionOf(calls[i]!)).code).toBe('ERR_ABORTED');
    // The line is empty again: new calls queue and are served as before.
    for (let round = 0; round < 3; round++) {
      const next = [reader.readExactly(1), reader.readExactly(2), reader.readExactly(1)];
      source.write('wxyz');
      expect(
        await Promise.all(next).then((parts) => parts.map((p) => Buffer.from(p).toString())),
      ).toEqual(['w', 'xy', 'z']);
    }
    const waiting = [reader.readExactly(1), reader.readExactly(1)];
    reader.release();
    for (const call of waiting) expect((await rejectionOf(call)).code).toBe('ERR_READER_RELEASED');
  });

  it('an abort after completion is ignored', async () => {
    const controller = new AbortController();
    const reader = createStreamReader(sourceOf([Buffer.from('ok')]));
    expect(Buffer.from(await reader.readExactly(2, { signal: controller.signal })).toString()).toBe(
      'ok',
    );
    controller.abort();
    expect(await reader.read()).toBeNull();
  });
});
