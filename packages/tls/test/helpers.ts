import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { afterEach } from 'vitest';
import {
  createTlsServer,
  type DevCertificates,
  generateDevCertificates,
  type TlsConnectionHandler,
  type TlsServer,
  type TlsServerOptions,
} from '../src/index.js';

/**
 * A certificate cache shared by the test files and by later runs (one fixed directory, so
 * nothing accumulates): exactly the reuse generateDevCertificates is built for.
 */
const cacheDir = join(tmpdir(), 'net-tls-test-certs');

/** The run's development CA, server and client certificates (cached in `cacheDir`). */
export function devCerts(): Promise<
  DevCertificates & { client: NonNullable<DevCertificates['client']> }
> {
  return generateDevCertificates({ dir: cacheDir, client: true }) as Promise<
    DevCertificates & { client: NonNullable<DevCertificates['client']> }
  >;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'net-tls-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The echo handler: echoes until the client ends its side. */
export const echo: TlsConnectionHandler = async (conn) => {
  for await (const chunk of conn) await conn.write(chunk);
};

/** An error reported to onError (its own fields, `message`), with the phase it was reported in. */
export type Reported = {
  code?: string;
  opensslCode?: string;
  message?: string;
  phase: string;
  error: unknown;
};

/** Starts a server on 127.0.0.1 port 0; errors reported to onError are collected. */
export async function startServer(
  options: TlsServerOptions,
  handler: TlsConnectionHandler = echo,
): Promise<{ server: TlsServer; port: number; errors: Reported[] }> {
  const errors: Reported[] = [];
  const server = createTlsServer(handler, {
    onError: (error, context) => {
      const { message } = error as { message?: string };
      errors.push({ ...(error as object), message, phase: context.phase, error });
    },
    ...options,
  });
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  return { server, port, errors };
}

/** Sends `data`, half-closes, and resolves with everything received until the end (bounded). */
export function roundTrip(socket: TLSSocket, data: string, timeout = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end within ${timeout} ms; got ${JSON.stringify(out)}`));
    }, timeout);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      out += chunk;
    });
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.end(data);
  });
}

/** Sends `data` without closing and resolves with the first `data.length` characters back. */
export function echoOnce(socket: TLSSocket, data: string, timeout = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no echo within ${timeout} ms`)), timeout);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.length >= data.length) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(out);
      }
    };
    socket.on('data', onData);
    socket.write(data);
  });
}

/** Polls `check` every 10 ms until it is true, at most `timeout` ms. */
export async function waitFor(check: () => boolean, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A server certificate signed by `caCert`/`caKey` whose validity ended yesterday. */
export async function expiredServerCert(ca: {
  cert: string;
  key: string;
}): Promise<{ cert: string; key: string }> {
  const day = 86_400_000;
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca,
    notBeforeDate: new Date(Date.now() - 30 * day),
    notAfterDate: new Date(Date.now() - day),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/**
 * Registers an afterEach that runs the deferred cleanups (last first); `serve` starts a
 * server that is closed after the test.
 */
export function useCleanups() {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const defer = (cleanup: () => unknown) => {
    cleanups.push(cleanup);
  };
  const serve = async (...args: Parameters<typeof startServer>) => {
    const started = await startServer(...args);
    defer(() => started.server.close({ timeout: 500 }));
    return started;
  };
  return { defer, serve };
}
