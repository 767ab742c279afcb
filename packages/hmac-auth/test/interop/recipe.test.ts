import { createStreamReader } from '@net/stream-reader';
import { describe, expect, it } from 'vitest';
import { clientAuthenticate, type NetError, serverAuthenticate } from '../../src/index.js';
import { KEY, rejectionOf, WRONG_KEY } from '../helpers.js';
import { interopSession, PYTHONS } from './python.js';

const { python, listen, connectTo } = interopSession();

describe.each(PYTHONS)('recipe 11.9 against Python $version', (py) => {
  it("Python's client_authenticate, then 'Hello World' right after its digest", async () => {
    const { port, connection } = await listen();
    const peer = python(py, 'recipe_peer.py', ['client', String(port), KEY.toString('hex')]);
    const socket = await connection;
    expect(await serverAuthenticate(socket, KEY)).toBe(true);
    const hello = await createStreamReader(socket, { timeout: 10_000 }).readExactly(11);
    socket.end(hello);
    expect(await peer.line('ECHO')).toBe('ECHO Hello World');
    expect(await peer.exit()).toBe(0);
  });

  it("Python's client with another key is refused (false, ERR_AUTH_FAILED)", async () => {
    const { port, connection } = await listen();
    python(py, 'recipe_peer.py', ['client', String(port), WRONG_KEY.toString('hex')]);
    const socket = await connection;
    const failures: NetError[] = [];
    expect(await serverAuthenticate(socket, KEY, { onFailure: (e) => failures.push(e) })).toBe(
      false,
    );
    expect(failures[0]?.code).toBe('ERR_AUTH_FAILED');
  });

  it("Python's server_authenticate accepts our client, then echoes", async () => {
    const peer = python(py, 'recipe_peer.py', ['server', KEY.toString('hex')]);
    const socket = await connectTo(Number(await peer.line()));
    await clientAuthenticate(socket, KEY);
    socket.write('Hello World');
    expect(await peer.line('AUTH')).toBe('AUTH True');
    const echo = await createStreamReader(socket, { timeout: 10_000 }).readExactly(11);
    expect(Buffer.from(echo).toString()).toBe('Hello World');
    expect(await peer.exit()).toBe(0);
  });

  it("Python's server_authenticate refuses our client with another key", async () => {
    const peer = python(py, 'recipe_peer.py', ['server', KEY.toString('hex')]);
    const socket = await connectTo(Number(await peer.line()));
    await clientAuthenticate(socket, WRONG_KEY);
    expect(await peer.line('AUTH')).toBe('AUTH False');
    // Python closes; a mutual client would notice, a plain one sees the end of the stream.
    const error = await rejectionOf(createStreamReader(socket, { timeout: 10_000 }).readExactly(1));
    expect((error as { code?: string }).code).toBe('ERR_STREAM_EOF');
  });
});
