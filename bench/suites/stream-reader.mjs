// @net/stream-reader: readExactly / readInto over a 1 GiB loopback TCP stream, against
// the bare 'data' handler that copies each chunk into the destination (target >= 1.0x).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createStreamReader } from '@net/stream-reader';
import { compare, table } from '../lib/compare.mjs';

export const description =
  'readExactly / readInto over a loopback TCP stream vs a copying data handler';

const MiB = 1024 * 1024;

export async function run({ rounds }) {
  const total = Number(process.env.BENCH_BYTES ?? 1024 * MiB);
  const dest = Buffer.allocUnsafeSlow(total).fill(0); // touch every page before timing
  const server = createServer({ noDelay: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const sender = fork(new URL('../lib/tcp-sender.mjs', import.meta.url), { stdio: 'inherit' });

  /** One transfer of `total` bytes; `consume(socket)` resolves once all are in `dest`. */
  async function transfer(consume) {
    const accepted = once(server, 'connection');
    sender.send({ port, bytes: total });
    const [socket] = await accepted;
    socket.on('error', () => undefined);
    const start = performance.now();
    await consume(socket);
    const ms = performance.now() - start;
    socket.destroy();
    return total / ms / 1000; // MB/s
  }

  const viaDataHandler = (copy) => (socket) =>
    new Promise((resolve) => {
      let offset = 0;
      socket.on('data', (chunk) => {
        if (copy) dest.set(chunk, offset);
        offset += chunk.byteLength;
        if (offset >= total) resolve();
      });
    });

  /** What a user writes by hand instead of readExactly: assemble fixed-size messages. */
  const assembleMessages = (size, onMessage) => (socket) =>
    new Promise((resolve) => {
      let parts = [];
      let buffered = 0;
      let received = 0;
      socket.on('data', (chunk) => {
        parts.push(chunk);
        buffered += chunk.byteLength;
        while (buffered >= size) {
          const joined = parts.length === 1 ? parts[0] : Buffer.concat(parts, buffered);
          onMessage(joined.subarray(0, size));
          parts = buffered > size ? [joined.subarray(size)] : [];
          buffered -= size;
          received += size;
        }
        if (received >= total) resolve();
      });
    });

  const readExactlyMessages = (onMessage) => (socket) =>
    (async () => {
      const reader = createStreamReader(socket);
      for (let offset = 0; offset < total; offset += 64 * 1024) {
        onMessage(await reader.readExactly(64 * 1024));
      }
    })();

  let checksum = 0; // consumers touch every message so none can be optimised away
  const touch = (message) => {
    checksum += message[message.byteLength - 1];
  };

  // Order matters on a 2-core machine: freeing readExactly's ~1 GiB of message buffers
  // takes background CPU, so it runs last (and first in reversed rounds, two cases away
  // from any readInto case).
  const intoDestination = {
    baseline: {
      label: "baseline: 'data' handler copying into the destination",
      run: () => transfer(viaDataHandler(true)),
    },
    candidates: [
      {
        label: 'readInto(destination), one call',
        run: () => transfer((socket) => createStreamReader(socket).readInto(dest)),
      },
      {
        label: 'readInto(1 MiB views of the destination)',
        run: () =>
          transfer(async (socket) => {
            const reader = createStreamReader(socket);
            for (let offset = 0; offset < total; offset += MiB) {
              await reader.readInto(dest.subarray(offset, Math.min(offset + MiB, total)));
            }
          }),
      },
      {
        label: 'load check: discarding data handler (no copy)',
        run: () => transfer(viaDataHandler(false)),
      },
      {
        label: 'readExactly(64 KiB), each copied into the destination (two copies)',
        run: () => {
          let offset = 0;
          return transfer(
            readExactlyMessages((message) => {
              dest.set(message, offset);
              offset += message.byteLength;
            }),
          );
        },
      },
    ],
  };
  const messages = {
    baseline: {
      label: "baseline: 'data' handler assembling 64 KiB messages by hand",
      run: () => transfer(assembleMessages(64 * 1024, touch)),
    },
    candidates: [
      { label: 'readExactly(64 KiB) messages', run: () => transfer(readExactlyMessages(touch)) },
    ],
  };
  if (total % (64 * 1024) !== 0) throw new Error('BENCH_BYTES must be a multiple of 64 KiB');

  try {
    const into = await compare({ ...intoDestination, rounds });
    const framed = await compare({ ...messages, rounds });
    const gib = (total / 1024 / MiB).toFixed(total >= 1024 * MiB ? 0 : 3);
    return {
      title: `stream-reader: ${gib} GiB over loopback TCP, sender in a separate process, ${rounds} rounds`,
      table: `Into a preallocated destination:\n\n${table(into, 'MB/s')}\n\nAs 64 KiB messages:\n\n${table(framed, 'MB/s')}`,
      notes: [
        'The load check row bounds what the sender can deliver; a baseline well below it means the sender is not the bottleneck.',
        `Checksum of the last message bytes (keeps consumers honest): ${checksum}.`,
      ],
    };
  } finally {
    sender.disconnect();
    server.close();
  }
}
