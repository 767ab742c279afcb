import { AbortedError, InvalidArgumentError, MAX_TIMER_MS } from '@net/core';
import { describe, expect, it } from 'vitest';
import {
  answerChallenge,
  type ByteChannel,
  clientAuthenticate,
  deliverChallenge,
  HandshakeAbortedError,
  serverAuthenticate,
} from '../src/index.js';
import { KEY, pairsForEachTest, rejectionOf } from './helpers.js';

const pair = pairsForEachTest();

/** Active timer handles of this process, as Node reports them. */
const activeTimers = (): number =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('options: core validators, undefined means the default', () => {
  it('every option set to undefined takes its default', async () => {
    const [client, server] = await pair('memory');
    const undefinedOptions = {
      digest: undefined,
      challengeLength: undefined,
      timeout: undefined,
      signal: undefined,
      mutual: undefined,
    };
    const result = serverAuthenticate(server, KEY, { ...undefinedOptions, onFailure: undefined });
    await clientAuthenticate(client, KEY, undefinedOptions);
    expect(await result).toBe(true);
    const [a, b] = await pair('memory');
    const delivered = deliverChallenge(b, KEY, {
      protocol: undefined,
      digest: undefined,
      acceptDigests: undefined,
      timeout: undefined,
    });
    await answerChallenge(a, KEY, { acceptDigests: undefined, timeout: undefined });
    await delivered;
  });

  it('timeout: 0 and 2^31-1 ms are accepted, 2^31 refused (ERR_INVALID_ARGUMENT)', async () => {
    for (const timeout of [0, MAX_TIMER_MS]) {
      const [client, server] = await pair('memory');
      const result = serverAuthenticate(server, KEY, { timeout });
      await clientAuthenticate(client, KEY, { timeout });
      expect(await result).toBe(true);
    }
    const [client, server] = await pair('memory');
    for (const call of [
      serverAuthenticate(server, KEY, { timeout: MAX_TIMER_MS + 1 }),
      clientAuthenticate(client, KEY, { timeout: MAX_TIMER_MS + 1 }),
      deliverChallenge(server, KEY, { timeout: MAX_TIMER_MS + 1 }),
      answerChallenge(client, KEY, { timeout: -1 }),
    ]) {
      const error = await rejectionOf(call);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('challengeLength: 16 and 1024 are accepted, 15 and 1025 refused', async () => {
    for (const challengeLength of [16, 1024]) {
      const [client, server] = await pair('memory');
      const result = serverAuthenticate(server, KEY, { challengeLength });
      await clientAuthenticate(client, KEY, { challengeLength });
      expect(await result).toBe(true);
    }
    const [, server] = await pair('memory');
    for (const challengeLength of [15, 1025]) {
      expect((await rejectionOf(serverAuthenticate(server, KEY, { challengeLength }))).code).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
  });

  it('null options, a non-boolean mutual and a non-function onFailure are refused', async () => {
    const [, server] = await pair('memory');
    for (const options of [null, { mutual: 'yes' }, { onFailure: 'log' }, { signal: {} }]) {
      expect((await rejectionOf(serverAuthenticate(server, KEY, options as never))).code).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
  });
});

describe('the handshake deadline (core createDeadline)', () => {
  it("an aborted handshake is core's AbortedError (ERR_ABORTED)", async () => {
    const [client] = await pair('memory');
    const controller = new AbortController();
    const pending = rejectionOf(clientAuthenticate(client, KEY, { signal: controller.signal }));
    controller.abort('bye');
    const error = await pending;
    expect(error).toBeInstanceOf(HandshakeAbortedError);
    expect(error).toBeInstanceOf(AbortedError);
    expect(error.code).toBe('ERR_ABORTED');
    expect(error.cause).toBe('bye');
  });

  it('a channel that ignores its signal still fails at the handshake timeout', async () => {
    const ignoring: ByteChannel = {
      readExactly: () => new Promise<Uint8Array>(() => undefined), // never settles
      write: () => undefined,
    };
    const error = await rejectionOf(clientAuthenticate(ignoring, KEY, { timeout: 50 }));
    expect(error.code).toBe('ERR_AUTH_TIMEOUT');
  });

  it('leaves no timer behind, whether the handshake succeeds or fails', async () => {
    const before = activeTimers();
    const [client, server] = await pair('memory');
    const result = serverAuthenticate(server, KEY, { timeout: 60_000 });
    await clientAuthenticate(client, KEY, { timeout: 60_000 });
    expect(await result).toBe(true);
    const [other, otherServer] = await pair('memory');
    otherServer.end(); // the server side ends at once: the client's read fails early
    await rejectionOf(clientAuthenticate(other, KEY, { timeout: 60_000 }));
    expect(activeTimers()).toBe(before);
  });
});
