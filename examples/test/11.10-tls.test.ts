// Recipe 11.10 side by side: the recipe's Python TLS echo server with our Node client, our
// Node server (examples/11.10-tls/server.mjs) with the recipe's Python client, and in each
// pairing a client that does not trust the server's CA, refused.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON, requirePython, runPeer } from '@net/test-peers';
import { type DevCertificates, generateDevCertificates } from '@net/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE, recipeScripts, startServer } from './recipes.js';

const script = recipeScripts('11.10-tls');
const CLIENT = { timeout: 10_000 }; // a client's deadline, well inside the test's

describe('recipe 11.10: adding SSL to an echo server', { timeout: 20_000 }, () => {
  let dir: string;
  let certs: DevCertificates; // the server's certificate and the CA that signed it
  let otherCa: string; // the CA file of another set: a client that trusts only it refuses
  beforeAll(async () => {
    requirePython();
    dir = await mkdtemp(join(tmpdir(), 'examples-11.10-'));
    certs = await generateDevCertificates({ dir: join(dir, 'trusted') });
    otherCa = (await generateDevCertificates({ dir: join(dir, 'other') })).files.caCert;
  }, 20_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("the recipe's server echoes to our Node client, which refuses it without its CA (ERR_TLS_UNTRUSTED_CERT)", async () => {
    const { serverCert, serverKey, caCert } = certs.files;
    const server = await startServer(PYTHON, [
      '-u',
      script('recipe_server.py'),
      '0',
      serverCert,
      serverKey,
      '2',
    ]);
    const client = (ca: string) =>
      runPeer(NODE, [script('client.mjs'), String(server.port), ca], CLIENT);
    expect(await client(caCert)).toMatchObject({ code: 0, stdout: 'Got: Hello World!\n' });
    const refused = await client(otherCa);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^ERR_TLS_UNTRUSTED_CERT: /);

    const served = await server.result;
    expect(served.code).toBe(0);
    const lines = served.stdout.split('\n');
    expect(lines[1]).toMatch(/^Got connection <ssl\.SSLSocket .*> \('127\.0\.0\.1', \d+\)$/);
    expect(lines[2]).toBe('Connection closed');
    expect(lines[3]).toMatch(/^SSL\w*Error: /); // the refusing client's handshake, then on
    expect(lines.length).toBe(5);
  });

  it("our Node server echoes to the recipe's client, and reports the client that refuses its certificate", async () => {
    const { serverCert, serverKey, caCert } = certs.files;
    const server = await startServer(NODE, [script('server.mjs'), '0', serverCert, serverKey, '2']);
    const client = (ca: string) =>
      runPeer(PYTHON, [script('recipe_client.py'), String(server.port), ca], CLIENT);
    expect(await client(caCert)).toMatchObject({
      code: 0,
      stdout: "Got: b'Hello World!'\n",
      stderr: '',
    });
    const refused = await client(otherCa);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED]',
    );

    const served = await server.result;
    expect(served.code).toBe(0);
    const lines = served.stdout.split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^Got connection 127\.0\.0\.1 \d+ TLSv1\.3$/),
    );
    expect(lines).toContain('Connection closed');
    expect(lines).toContainEqual(
      expect.stringMatching(/^handshake: ERR_TLS_SERVER_CERT_REJECTED: /),
    );
    expect(lines.length).toBe(5);
  });
});
