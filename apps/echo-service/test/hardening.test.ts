/**
 * The echo service as an operator and an attacker meet it, through the real CLI: secrets
 * and the state directory refused when unsafe, HTTP answers that cannot be turned into a
 * page or read by another origin, ipc digests, and logs that a flood of bad clients or a
 * hostile string cannot blow up.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  FREE_PORTS,
  getJson,
  httpRequest,
  pyenvPython,
  python,
  type Served,
  serve,
} from './helpers.js';

const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
async function start(...args: Parameters<typeof serve>): Promise<Served> {
  const served = await serve(...args);
  running.push(served);
  return served;
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'net-echo-hardening-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** `serve` that is expected to refuse to start: resolves its exit code and stderr. */
async function refusedServe(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env };
  delete base.NET_ECHO_SECRET;
  const result = await cli(['serve', ...FREE_PORTS, ...args], {
    env: { ...base, ...env },
    timeout: 20_000,
  });
  expect(result.stdout, 'a refused serve prints no ready line').toBe('');
  return result;
}

async function fileWith(name: string, content: string | Buffer, mode: number): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, content, { mode });
  await chmod(path, mode); // writeFile's mode is filtered by the umask
  return path;
}

const uid = process.getuid?.() ?? -1;
/** A uid that is not ours: nobody's when we are root (who may chown), else root's. */
const OTHER_UID = uid === 0 ? 65_534 : 0;

describe('secrets', () => {
  it('refuses a 15-byte secret (env or file) with ERR_SECRET_TOO_SHORT and accepts 16 bytes', async () => {
    const env = await refusedServe(['--state-dir', join(scratch, 'env15')], {
      NET_ECHO_SECRET: 'x'.repeat(15),
    });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('ERR_SECRET_TOO_SHORT');
    expect(env.stderr).toContain('NET_ECHO_SECRET is 15 bytes');
    expect(env.stderr).toContain('at least 16 bytes');

    const short = await fileWith('secret15', randomBytes(15), 0o600);
    const file = await refusedServe([
      '--state-dir',
      join(scratch, 'file15'),
      '--secret-file',
      short,
    ]);
    expect(file.code).toBe(1);
    expect(file.stderr).toContain('ERR_SECRET_TOO_SHORT');
    expect(file.stderr).toContain(short);

    const exact = await fileWith('secret16', randomBytes(16), 0o600);
    const s = await start(['--secret-file', exact]);
    expect(s.ready.secretFile).toBe(exact);
    const ok = await python('tcp_client.py', [s.ready.ports.tcp, exact]);
    expect(ok.code, ok.stderr).toBe(0);
    const fromEnv = await start([], { NET_ECHO_SECRET: 'y'.repeat(16) });
    expect(fromEnv.ready.secretFile).toBeNull();
  });

  it('refuses a secret file readable by group or others, naming the chmod that fixes it', async () => {
    for (const mode of [0o640, 0o604, 0o620]) {
      const path = await fileWith(`secret-${mode.toString(8)}`, randomBytes(32), mode);
      const r = await refusedServe([
        '--state-dir',
        join(scratch, `perm-${mode.toString(8)}`),
        '--secret-file',
        path,
      ]);
      expect(r.code, `mode ${mode.toString(8)}`).toBe(1);
      expect(r.stderr).toContain('ERR_INSECURE_PERMISSIONS');
      expect(r.stderr).toContain(`chmod 600 ${path}`);
    }
    // 0400 is as private as 0600
    const readOnly = await fileWith('secret-400', randomBytes(32), 0o400);
    const s = await start(['--secret-file', readOnly]);
    expect(s.ready.secretFile).toBe(readOnly);
  });

  it('with --workers, no worker has NET_ECHO_SECRET (or the key) in its environment', async () => {
    const secret = `env-secret-${randomBytes(8).toString('hex')}`;
    const s = await start(['--workers', '2'], { NET_ECHO_SECRET: secret });
    const stats = await getJson(s.ready.ports.http, '/stats');
    const pids: number[] = stats.endpoints.tcp.detail.workers.map((w: { pid: number }) => w.pid);
    expect(pids).toHaveLength(2);
    const hex = Buffer.from(secret).toString('hex');
    for (const pid of [s.child.pid as number, ...pids]) {
      const environ = await import('node:fs/promises').then((fs) =>
        fs.readFile(`/proc/${pid}/environ`, 'latin1'),
      );
      // /proc/<pid>/environ is the environment the process started with.
      if (pid !== s.child.pid) expect(environ).not.toContain('NET_ECHO_SECRET');
      expect(environ).not.toContain(hex);
    }
    // and the workers still authenticate clients with it
    const keyFile = await fileWith('worker-secret', secret, 0o600);
    for (let i = 0; i < 2; i++) {
      const r = await python('tcp_client.py', [s.ready.ports.tcp, keyFile]);
      expect(r.code, r.stderr).toBe(0);
    }
  });
});

describe('state directory', () => {
  it('creates a missing one with mode 0700', async () => {
    const dir = join(scratch, 'fresh', 'state');
    const s = await start([], {}, { stateDir: dir });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'secret'))).mode & 0o777).toBe(0o600);
    expect(s.ready.caCert).toBe(join(dir, 'certs', 'ca.crt'));
  });

  it('refuses one writable by group or others, one owned by another user, and keys that are not 0600 and ours', async () => {
    const cases: { name: string; prepare: (dir: string) => Promise<void>; message: string }[] = [
      { name: 'world-writable', prepare: (dir) => chmod(dir, 0o777), message: 'mode 0777' },
      { name: 'group-writable', prepare: (dir) => chmod(dir, 0o720), message: 'mode 0720' },
      {
        name: 'certs world-writable',
        prepare: async (dir) => {
          await mkdir(join(dir, 'certs'), { mode: 0o700 });
          await chmod(join(dir, 'certs'), 0o707);
        },
        message: 'writable by group or others',
      },
      {
        name: 'server key group-readable',
        prepare: async (dir) => {
          await mkdir(join(dir, 'certs'), { mode: 0o700 });
          await writeFile(join(dir, 'certs', 'server.key'), 'not a key', { mode: 0o640 });
          await chmod(join(dir, 'certs', 'server.key'), 0o640);
        },
        message: `chmod 600`,
      },
      {
        name: 'secret readable by others',
        prepare: async (dir) => {
          await writeFile(join(dir, 'secret'), randomBytes(32).toString('hex'));
          await chmod(join(dir, 'secret'), 0o604);
        },
        message: `chmod 600`,
      },
    ];
    if (uid === 0) {
      cases.push(
        {
          name: 'owned by another user',
          prepare: (dir) => chown(dir, OTHER_UID, OTHER_UID),
          message: `belongs to uid ${OTHER_UID}`,
        },
        {
          name: 'ca key owned by another user',
          prepare: async (dir) => {
            await mkdir(join(dir, 'certs'), { mode: 0o700 });
            await writeFile(join(dir, 'certs', 'ca.key'), 'their key', { mode: 0o600 });
            await chown(join(dir, 'certs', 'ca.key'), OTHER_UID, OTHER_UID);
          },
          message: `belongs to uid ${OTHER_UID}`,
        },
      );
    }
    for (const { name, prepare, message } of cases) {
      const dir = await mkdtemp(join(scratch, 'state-'));
      await prepare(dir);
      const r = await refusedServe(['--state-dir', dir]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toContain('ERR_INSECURE_PERMISSIONS');
      expect(r.stderr, name).toContain(message);
    }
    if (uid !== 0) {
      // Not root: a directory root owns is another user's.
      const r = await refusedServe(['--state-dir', '/']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`belongs to uid 0`);
    }
  });

  it('serves from an existing private one (0750 is fine: others may not write it)', async () => {
    const dir = await mkdtemp(join(scratch, 'state-ok-'));
    await chmod(dir, 0o750);
    const s = await start([], {}, { stateDir: dir });
    expect(s.ready.secretFile).toBe(join(dir, 'secret'));
  });
});

describe('http', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve(['--allowed-host', 'echo.example', '--allowed-host', 'Other.Example.']);
  }, 30_000);
  afterAll(async () => {
    await served?.stop();
  });
  const port = () => served.ready.ports.http;

  it('answers 421 to a Host it does not know, and goes on serving the ones it does', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${port()}`,
      '127.0.0.1.evil.example',
      'localhost.evil.example',
      'echo.example.evil',
      '127.0.0.2',
      '[::1]', // not the bound address (127.0.0.1)
      'x@127.0.0.1',
      '',
    ]) {
      const res = await httpRequest(port(), { path: '/stats', host });
      expect(res.status, `Host ${host}`).toBe(421);
      expect(res.body.toString()).not.toContain('endpoints');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    // No Host at all: Node's HTTP/1.1 parser answers 400 itself (requireHostHeader).
    const none = await httpRequest(port(), { path: '/stats', host: null });
    expect(none.status).toBe(400);
    expect(none.body.toString()).not.toContain('endpoints');
    for (const host of [
      `127.0.0.1:${port()}`,
      '127.0.0.1',
      `localhost:${port()}`,
      'LOCALHOST',
      'localhost.',
      'echo.example',
      `ECHO.example:${port()}`,
      'other.example',
    ]) {
      const res = await httpRequest(port(), { path: '/health', host });
      expect(res.status, `Host ${host}`).toBe(200);
    }
  });

  it('POST /echo answers application/octet-stream whatever the request says, with nosniff and CSP', async () => {
    const page = '<script>alert(document.domain)</script>';
    const res = await httpRequest(port(), {
      method: 'POST',
      path: '/echo',
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: page,
    });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(page);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('HEAD works wherever GET does, with the same headers and no body; every answer has nosniff and a CSP', async () => {
    for (const path of ['/', '/health', '/stats', '/metrics']) {
      const get = await httpRequest(port(), { path });
      const head = await httpRequest(port(), { method: 'HEAD', path });
      expect(get.status, path).toBe(200);
      expect(head.status, path).toBe(200);
      expect(head.body.length, path).toBe(0);
      expect(head.headers['content-type'], path).toBe(get.headers['content-type']);
      for (const res of [get, head]) {
        expect(res.headers['x-content-type-options'], path).toBe('nosniff');
        expect(res.headers['content-security-policy'], path).toContain("default-src 'none'");
      }
    }
    // The dashboard keeps its own policy, with the hashes of its inline script and style.
    const dashboard = await httpRequest(port(), { method: 'HEAD', path: '/' });
    expect(dashboard.headers['content-security-policy']).toMatch(/script-src 'sha256-/);
    // Static answers report their exact length on HEAD too.
    const health = await httpRequest(port(), { method: 'HEAD', path: '/health' });
    expect(health.headers['content-length']).toBe(String('{"status":"ok"}\n'.length));
    for (const [method, path, status] of [
      ['HEAD', '/echo', 405],
      ['HEAD', '/nowhere', 404],
      ['POST', '/stats', 405],
    ] as const) {
      const res = await httpRequest(port(), { method, path });
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    }
  });
});

describe('--allowed-host, --ipc-digests and --log-format usage', () => {
  it('refuses bad values with ERR_USAGE and exit code 2', { timeout: 30_000 }, async () => {
    for (const args of [
      ['--allowed-host', 'evil.example:80'],
      ['--allowed-host', 'http://evil.example'],
      ['--ipc-digests', 'sha1'],
      ['--ipc-digests', ''],
      ['--ipc-digests', 'sha256,sha256'],
      ['--log-format', 'xml'],
    ]) {
      const r = await cli(['serve', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('ERR_USAGE');
      expect(r.stderr).toContain(args[0]);
    }
  });
});

describe('--ipc-digests', () => {
  it('sha256 refuses a Python 3.11 client (legacy MD5) with a counter, while 3.12 and 3.13 are served', async () => {
    const s = await start(['--ipc-digests', 'sha256']);
    const secret = s.ready.secretFile as string;
    const old = await python('ipc_digest_client.py', [s.ready.ports.ipc, secret]);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toMatch(/^refused 3\.11 AuthenticationError: digest sent was rejected/);
    for (const version of ['3.12.1', '3.13.0']) {
      const modern = await pyenvPython(version, 'ipc_digest_client.py', [
        s.ready.ports.ipc,
        secret,
      ]);
      expect(modern.code, modern.stderr).toBe(0);
      expect(modern.stdout.trim()).toBe(`served ${version.slice(0, 4)}`);
    }
    const stats = await getJson(s.ready.ports.http, '/stats');
    expect(stats.endpoints.ipc.digestRefusals).toBe(1);
    expect(stats.endpoints.ipc.authFailures).toBe(1);
    expect(stats.endpoints.ipc.messages).toBe(2);
  });

  it('the default (sha256,md5) serves Python 3.11 and 3.12', async () => {
    const s = await start();
    const secret = s.ready.secretFile as string;
    const old = await python('ipc_digest_client.py', [s.ready.ports.ipc, secret]);
    expect(old.stdout.trim()).toBe('served 3.11');
    const modern = await pyenvPython('3.12.1', 'ipc_digest_client.py', [s.ready.ports.ipc, secret]);
    expect(modern.stdout.trim()).toBe('served 3.12');
    const stats = await getJson(s.ready.ports.http, '/stats');
    expect(stats.endpoints.ipc.digestRefusals).toBe(0);
  });
});

/** Opens `count` TLS connections that send a line of plain text instead of a ClientHello. */
async function badTlsClients(port: number, count: number): Promise<void> {
  const batch = 100;
  for (let sent = 0; sent < count; sent += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - sent) }, async () => {
        const socket = connect({ host: '127.0.0.1', port });
        socket.on('error', () => undefined);
        socket.setTimeout(10_000, () => socket.destroy());
        await once(socket, 'connect').catch(() => undefined);
        socket.end('GET / HTTP/1.0\r\n\r\n');
        socket.resume();
        await once(socket, 'close');
      }),
    );
  }
}

/** One multiprocessing handshake reply naming a digest with a newline in it. */
async function hostileDigestReply(port: number): Promise<void> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  await once(socket, 'data'); // #CHALLENGE#{sha256}...
  const body = Buffer.concat([Buffer.from('{a\nFAKE}'), randomBytes(32)]);
  const header = Buffer.alloc(4);
  header.writeInt32BE(body.length);
  socket.end(Buffer.concat([header, body]));
  socket.resume();
  await once(socket, 'close');
}

describe('logs', () => {
  it('1,000 bad TLS clients give a bounded number of log lines, with a summary, and the service goes on', {
    timeout: 60_000,
  }, async () => {
    const s = await start();
    await badTlsClients(s.ready.ports.tls, 1_000);
    const health = await httpRequest(s.ready.ports.http, { path: '/health' });
    expect(health.status).toBe(200);
    const code = await s.stop();
    expect(code).toBe(0);
    const lines = s.stderr().trim().split('\n');
    const tls = lines.filter((line) => line.startsWith('net-echo: tls:'));
    expect(tls.length, tls.join('\n')).toBeGreaterThanOrEqual(2);
    expect(tls.length, tls.join('\n')).toBeLessThanOrEqual(6);
    // The first failure in full, the rest summarised with their count.
    const summarised = tls
      .map((line) => /: ([\d,]+) more handshake failures in the last/.exec(line)?.[1])
      .filter((n): n is string => n !== undefined)
      .reduce((sum, n) => sum + Number(n.replaceAll(',', '')), 0);
    const full = tls.filter((line) => !line.includes(' more ')).length;
    expect(summarised + full).toBe(1_000);
  });

  it('a peer-chosen digest name with a newline stays inside one escaped text line', async () => {
    const s = await start();
    await hostileDigestReply(s.ready.ports.ipc);
    await s.stop();
    const lines = s.stderr().trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^net-echo: /);
    expect(s.stderr()).toContain('a\\nFAKE');
  });

  it('--log-format json: one JSON object per line with time, level, endpoint, event', async () => {
    const s = await start(['--log-format', 'json']);
    await hostileDigestReply(s.ready.ports.ipc);
    await badTlsClients(s.ready.ports.tls, 3);
    await s.stop();
    const lines = s.stderr().trim().split('\n');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const record of records) {
      expect(typeof record.time).toBe('string');
      expect(Number.isNaN(Date.parse(record.time as string))).toBe(false);
      expect(['info', 'warn', 'error']).toContain(record.level);
      expect(typeof record.endpoint).toBe('string');
      expect(typeof record.event).toBe('string');
    }
    const events = records.map((r) => `${r.endpoint}/${r.event}`);
    expect(events).toContain('service/ready');
    expect(events).toContain('service/closed');
    expect(events).toContain('tls/handshake_failed');
    const ipc = records.find((r) => r.endpoint === 'ipc' && r.event === 'handshake_failed');
    expect(ipc?.code).toBe('ERR_AUTH_UNSUPPORTED_DIGEST');
    expect(String(ipc?.msg)).toContain('a\nFAKE');
  });
});
