import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BulkReceiver,
  connectForBulk,
  createBulkServer,
  type DtypeName,
  recvInto,
  sendArray,
  sendBuffer,
} from '../../src/index.js';
import { cleanupList, elementOf, expectedValue, listen, makeArray, recvOne } from '../helpers.js';

/** Only Debian's interpreter has NumPy (pyenv's python3 does not). */
const PYTHON = process.env.NUMPY_PYTHON ?? '/usr/bin/python3';
const CASE_COUNT = 26; // the CASES of npy_peer.py

function requireNumpy(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `These interop tests need NumPy for ${PYTHON} (${probe.error?.message ?? probe.stderr.trim()}); ` +
        'install the Debian package python3-numpy (apt-get install python3-numpy)',
    );
  }
}

const cleanup = cleanupList();
afterEach(() => cleanup.run());

/** Runs a peer script from this folder; `result` resolves with its exit code and output. */
function peer(script: string, args: string[]) {
  requireNumpy();
  const child: ChildProcess = spawn(PYTHON, [
    fileURLToPath(new URL(script, import.meta.url)),
    ...args,
  ]);
  cleanup.add(() => child.kill());
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const result = (async () => {
    const timer = setTimeout(() => child.kill(), 60_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    return { code, stdout, stderr };
  })();
  const firstLine = async (): Promise<string> => {
    for (let i = 0; i < 1000 && !stdout.includes('\n'); i++) {
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (!stdout.includes('\n')) throw new Error(`peer printed no port: ${stderr}`);
    return stdout.split('\n')[0]!;
  };
  return { child, result, firstLine };
}

/** Receives every case NumPy sends, checks it, and answers with arrays built in Node. */
async function exchange(local: Socket | BulkReceiver): Promise<string[]> {
  const seen: string[] = [];
  const received: Array<{ dtype: DtypeName; shape: number[] }> = [];
  for (let c = 0; c < CASE_COUNT; c++) {
    const { array, dtype, shape, descr } = await recvOne(local, {
      maxBytes: 200_000_000,
      timeout: 30_000,
    });
    const length = shape.reduce((a, b) => a * b, 1);
    expect(array.length).toBe(length);
    // Spot-check large arrays, check small ones entirely.
    const step = length > 10_000 ? 997 : 1;
    for (let i = 0; i < length; i += step) {
      const want = expectedValue(dtype, i);
      const got = elementOf(array, dtype, i);
      if (got !== want)
        throw new Error(`${descr} ${JSON.stringify(shape)} [${i}]: got ${got}, want ${want}`);
    }
    if (length > 0)
      expect(elementOf(array, dtype, length - 1)).toBe(expectedValue(dtype, length - 1));
    received.push({ dtype, shape });
    seen.push(`${descr} ${JSON.stringify(shape)}`);
  }
  for (const { dtype, shape } of received) {
    const length = shape.reduce((a, b) => a * b, 1);
    await sendArray(local, makeArray(dtype, length), { shape, dtype, timeout: 30_000 });
  }
  return seen;
}

function checkPeerResult(result: { code: number | null; stdout: string; stderr: string }) {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const ok = result.stdout.split('\n').filter((line) => line.startsWith('ok '));
  expect(ok).toHaveLength(CASE_COUNT);
}

describe('NumPy interop (np.save / numpy.lib.format.read_array on a socket)', () => {
  it('exchanges every dtype, empty, 0-d, 2-D and 100 MB arrays with a connecting NumPy peer', async () => {
    let accepted!: (socket: Socket) => void;
    const connection = new Promise<Socket>((resolve) => {
      accepted = resolve;
    });
    const { server, port } = await listen((socket) => accepted(socket));
    cleanup.add(() => server.close());
    const python = peer('npy_peer.py', ['connect', String(port)]);
    const socket = await connection;
    cleanup.add(() => socket.destroy());
    const seen = await exchange(socket);
    expect(seen).toContain('|b1 [5]');
    expect(seen).toContain('>i8 [5]');
    expect(seen).toContain('<f8 []');
    expect(seen).toContain('<i4 [0,3]');
    expect(seen).toContain('<f4 [3,4]');
    expect(seen).toContain('<f8 [12500000]');
    checkPeerResult(await python.result);
  }, 60_000);

  it('does the same through connectForBulk against a listening NumPy peer', async () => {
    const python = peer('npy_peer.py', ['listen']);
    const port = Number(await python.firstLine());
    const receiver = await connectForBulk({ port, host: '127.0.0.1' });
    cleanup.add(() => receiver.socket.destroy());
    const seen = await exchange(receiver);
    expect(seen).toHaveLength(CASE_COUNT);
    checkPeerResult(await python.result);
  }, 60_000);
});

describe("the recipe's send_from / recv_into (memoryview slicing)", () => {
  it('receives with recvInto what send_from sent, and sendBuffer feeds recv_into', async () => {
    const count = 1_000_000;
    let accepted!: (socket: Socket) => void;
    const connection = new Promise<Socket>((resolve) => {
      accepted = resolve;
    });
    const { server, port } = await listen((socket) => accepted(socket));
    cleanup.add(() => server.close());
    const python = peer('recipe_peer.py', [String(port), String(count)]);
    const socket = await connection;
    cleanup.add(() => socket.destroy());
    const values = new Float64Array(count);
    expect(await recvInto(socket, values, { timeout: 30_000 })).toBe(count * 8);
    for (let i = 0; i < count; i++)
      if (values[i] !== i) throw new Error(`values[${i}] = ${values[i]}`);
    await sendBuffer(
      socket,
      values.map((v) => v * 3),
    );
    const result = await python.result;
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
    expect(result.code).toBe(0);
  }, 60_000);
});

describe('createBulkServer with a NumPy client (np.save / np.load)', () => {
  it('serves a real NumPy client while maxConnections - 1 silent clients are held, with no budget held by them', async () => {
    const maxConnections = 5;
    const server = createBulkServer(
      async (conn) => {
        for (let got = await conn.recvArray(); got !== null; got = await conn.recvArray()) {
          await conn.sendArray(got.array, { shape: got.shape, dtype: got.dtype });
        }
      },
      { maxConnections, headerTimeout: 30_000, memoryBudget: 4 << 20, maxBytes: 2 << 20 },
    );
    cleanup.add(() => void server.close({ timeout: 500 }));
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    const silent: Socket[] = [];
    for (let i = 0; i < maxConnections - 1; i++) {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.on('error', () => undefined);
      cleanup.add(() => socket.destroy());
      silent.push(socket);
      await once(socket, 'connect');
    }
    for (let i = 0; i < 200 && server.stats().active < maxConnections - 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(server.stats()).toMatchObject({ active: maxConnections - 1, memoryInUse: 0 });
    const python = peer('echo_client.py', [String(port)]);
    const result = await python.result;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter((line) => line.startsWith('ok '))).toHaveLength(5);
    // The silent ones are still held, and hold nothing of the budget.
    expect(silent.every((socket) => !socket.destroyed)).toBe(true);
    expect(server.stats()).toMatchObject({
      active: maxConnections - 1,
      refused: 0,
      arrays: 5,
      memoryInUse: 0,
      handlerErrors: 0,
    });
  }, 60_000);
});
