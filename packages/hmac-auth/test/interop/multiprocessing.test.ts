import { createStreamReader } from '@net/stream-reader';
import { describe, expect, it } from 'vitest';
import { answerChallenge, deliverChallenge } from '../../src/index.js';
import { frame, KEY, rejectionOf, WRONG_KEY } from '../helpers.js';
import { interopSession, PYTHONS } from './python.js';

const { python, listen, connectTo } = interopSession();

describe.each(PYTHONS)('multiprocessing.connection of Python $version', (py) => {
  it('Client(authkey) against deliverChallenge + answerChallenge, then one message', async () => {
    const { port, connection } = await listen();
    const peer = python(py, 'mp_peer.py', ['client', String(port), KEY.toString('hex')]);
    const socket = await connection;
    await deliverChallenge(socket, KEY); // Listener.accept order: deliver, then answer
    await answerChallenge(socket, KEY);
    const message = await createStreamReader(socket, { timeout: 10_000 }).readFrame();
    expect(Buffer.from(message ?? []).toString()).toBe('hello');
    socket.write(frame('HELLO BACK'));
    expect(await peer.line('REPLY')).toBe('REPLY HELLO BACK');
    expect(await peer.exit()).toBe(0);
  });

  it('Client(authkey) against a legacy-protocol deliverChallenge', async () => {
    const { port, connection } = await listen();
    const peer = python(py, 'mp_peer.py', ['client', String(port), KEY.toString('hex')]);
    const socket = await connection;
    await deliverChallenge(socket, KEY, { protocol: 'legacy' });
    await answerChallenge(socket, KEY);
    await createStreamReader(socket, { timeout: 10_000 }).readFrame();
    socket.write(frame('ok'));
    expect(await peer.line('REPLY')).toBe('REPLY ok');
  });

  it('Listener(authkey) against answerChallenge + deliverChallenge, then one message', async () => {
    const peer = python(py, 'mp_peer.py', ['listener', KEY.toString('hex')]);
    const socket = await connectTo(Number(await peer.line()));
    await answerChallenge(socket, KEY); // Client order: answer, then deliver
    await deliverChallenge(socket, KEY);
    expect(await peer.line('AUTH')).toBe('AUTH_OK');
    socket.write(frame('ping'));
    const reply = await createStreamReader(socket, { timeout: 10_000 }).readFrame();
    expect(Buffer.from(reply ?? []).toString()).toBe('PING');
    expect(await peer.exit()).toBe(0);
  });

  it('a Client with another key: ERR_AUTH_FAILED here, AuthenticationError there', async () => {
    const { port, connection } = await listen();
    const peer = python(py, 'mp_peer.py', ['client', String(port), WRONG_KEY.toString('hex')]);
    const socket = await connection;
    expect((await rejectionOf(deliverChallenge(socket, KEY))).code).toBe('ERR_AUTH_FAILED');
    expect(await peer.line('AUTH_ERROR')).toMatch(/^AUTH_ERROR/);
  });

  it('a Listener with another key: ERR_AUTH_REJECTED (#FAILURE#)', async () => {
    const peer = python(py, 'mp_peer.py', ['listener', WRONG_KEY.toString('hex')]);
    const socket = await connectTo(Number(await peer.line()));
    expect((await rejectionOf(answerChallenge(socket, KEY))).code).toBe('ERR_AUTH_REJECTED');
    expect(await peer.line('AUTH_ERROR')).toMatch(/^AUTH_ERROR/);
  });
});

it('Python 3.11 Client answers with HMAC-MD5, refused when acceptDigests excludes md5', async () => {
  const { port, connection } = await listen();
  const peer = python(PYTHONS[0], 'mp_peer.py', ['client', String(port), KEY.toString('hex')]);
  const socket = await connection;
  const error = await rejectionOf(deliverChallenge(socket, KEY, { acceptDigests: ['sha256'] }));
  expect(error.code).toBe('ERR_AUTH_UNSUPPORTED_DIGEST');
  expect(await peer.line('AUTH_ERROR')).toMatch(/^AUTH_ERROR/);
});
