// Digest authentication (RFC 7616) against two independent servers: Apache httpd's
// mod_auth_digest (Debian package `apache2`; MD5, password file in htdigest format) and
// lighttpd's mod_auth (Debian package `lighttpd`; MD5 and SHA-256). Each server's access
// log is the witness of what was sent: status, authenticated user and the Authorization
// header of every request, in order.
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestAuth, Session } from '../../src/index.js';
import { type ListeningPeer, requireInstalled, startListeningPeer } from './listening-peer.js';

const APACHE = '/usr/sbin/apache2';
const APACHE_MODULES = '/usr/lib/apache2/modules';
const LIGHTTPD = '/usr/sbin/lighttpd';
const USER = 'alice';
const PASSWORD = 's3cret, "quoted"';
const SECRET_BODY = 'the protected body\n';

/** One line of the access log: the format both servers are given (tab-separated). */
interface LogLine {
  status: string;
  method: string;
  path: string;
  user: string;
  authorization: string;
}

interface Peer {
  base: string;
  /** Sends `fn`'s requests and returns the access-log lines they produced, in order. */
  logged: (fn: () => Promise<void>) => Promise<LogLine[]>;
  stop: () => Promise<void>;
}

/**
 * Starts a server (a foreground child) on a free port, trying another port if that one was
 * taken meanwhile; `configure` writes its config for a port and returns its command line.
 */
async function startPeer(
  dir: string,
  name: string,
  configure: (port: number) => Promise<string[]>,
  flushSignal?: NodeJS.Signals,
): Promise<Peer> {
  const server = await startListeningPeer(name, configure, join(dir, 'error.log'));
  return peer(dir, server, flushSignal);
}

function peer(dir: string, server: ListeningPeer, flushSignal: NodeJS.Signals | undefined): Peer {
  const base = `http://127.0.0.1:${server.port}`;
  const log = join(dir, 'access.log');
  const plain = new Session({ connections: 1 });
  let sentinels = 0;
  const readLog = async () =>
    (await readFile(log, 'utf8').catch(() => ''))
      .split('\n')
      .filter((line) => line !== '')
      .map((line): LogLine => {
        const [status = '', method = '', path = '', user = '', authorization = ''] =
          line.split('\t');
        // Both servers escape a logged `"` as `\"`.
        return { status, method, path, user, authorization: authorization.replace(/\\(.)/g, '$1') };
      });
  return {
    base,
    async logged(fn) {
      const before = (await readLog()).length;
      await fn();
      // A request to a marker path after the others: both servers serve one request at a
      // time here and log it before the next, so once the marker is logged, all are.
      const marker = `/marker-${++sentinels}`;
      expect((await plain.get(`${base}${marker}`)).statusCode).toBe(404);
      if (flushSignal !== undefined) server.child.kill(flushSignal);
      for (let i = 0; i < 200; i++) {
        const lines = (await readLog()).slice(before);
        const at = lines.findIndex((line) => line.path === marker);
        if (at >= 0) {
          expect(at).toBe(lines.length - 1); // nothing logged after the marker
          return lines.slice(0, at);
        }
        await sleep(50);
      }
      throw new Error(`${marker} never reached ${log}`);
    },
    async stop() {
      await plain.close();
      await server.stop();
    },
  };
}

/** A temp dir any user can read (apache serves as `nobody`) with the protected files. */
async function siteDir(prefix: string, paths: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  for (const path of paths) {
    await mkdir(join(dir, 'htdocs', path), { recursive: true, mode: 0o755 });
    await writeFile(join(dir, 'htdocs', path, 'index.html'), SECRET_BODY, { mode: 0o644 });
    await writeFile(join(dir, 'htdocs', path, 'other.html'), SECRET_BODY, { mode: 0o644 });
  }
  return dir;
}

function htdigestLine(realm: string): string {
  const ha1 = createHash('md5').update(`${USER}:${realm}:${PASSWORD}`).digest('hex');
  return `${USER}:${realm}:${ha1}\n`;
}

/** The scheme and the named param of a logged Authorization header. */
function digestParam(authorization: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|[ ,])${name}="?([^",]*)"?`).exec(authorization);
  return match?.[1];
}

/** Checks the behaviour shared by both servers, for one protected path. */
function digestSuite(get: () => Peer, path: string, algorithm: 'MD5' | 'SHA-256') {
  it(`answers the ${algorithm} challenge once, then reuses it: one 401 for three requests`, async () => {
    const peer = get();
    const s = new Session({ auth: digestAuth(USER, PASSWORD) });
    const texts: string[] = [];
    try {
      const lines = await peer.logged(async () => {
        for (const page of ['index.html', 'other.html', 'index.html?q=a%20b&r=1']) {
          const response = await s.get(`${peer.base}${path}${page}`);
          expect(response.statusCode).toBe(200);
          texts.push(response.text);
        }
      });
      expect(texts).toEqual([SECRET_BODY, SECRET_BODY, SECRET_BODY]);
      expect(lines.map((line) => [line.status, line.user])).toEqual([
        ['401', '-'],
        ['200', USER],
        ['200', USER],
        ['200', USER],
      ]);
      expect(lines[0]?.authorization).toBe('-');
      const answers = lines.slice(1).map((line) => line.authorization);
      for (const answer of answers) {
        expect(answer).toMatch(/^Digest /);
        expect(digestParam(answer, 'username')).toBe(USER);
        expect(digestParam(answer, 'algorithm')).toBe(algorithm);
        expect(digestParam(answer, 'qop')).toBe('auth');
        expect(answer).not.toContain('s3cret');
      }
      expect(answers.map((answer) => digestParam(answer, 'nc'))).toEqual([
        '00000001',
        '00000002',
        '00000003',
      ]);
      expect(digestParam(answers[2] as string, 'uri')).toBe(`${path}index.html?q=a%20b&r=1`);
    } finally {
      await s.close();
    }
  });

  it(`returns the 401 for a wrong password after exactly one answer (${algorithm})`, async () => {
    const peer = get();
    const s = new Session();
    try {
      const auth = digestAuth(USER, 'wrong');
      let status = 0;
      const lines = await peer.logged(async () => {
        status = (await s.get(`${peer.base}${path}index.html`, { auth })).statusCode;
      });
      expect(status).toBe(401);
      expect(lines.map((line) => [line.status, line.authorization.split(' ')[0]])).toEqual([
        ['401', '-'],
        ['401', 'Digest'],
      ]);
    } finally {
      await s.close();
    }
  });
}

describe('Apache httpd mod_auth_digest', () => {
  let dir: string;
  let apache: Peer | undefined;

  beforeAll(async () => {
    for (const file of [APACHE, join(APACHE_MODULES, 'mod_auth_digest.so')]) {
      requireInstalled(file, 'apache2');
    }
    dir = await siteDir('http-client-apache-', ['private']);
    const realm = 'private area';
    await writeFile(join(dir, 'digest.pw'), htdigestLine(realm), { mode: 0o644 });
    const module = (name: string, file: string) =>
      `LoadModule ${name}_module ${APACHE_MODULES}/mod_${file}.so`;
    apache = await startPeer(dir, 'apache2', async (port) => {
      // -X: one process serving one connection at a time, in the foreground. KeepAlive off,
      // so a client's idle connection never holds that one process.
      const conf = `
ServerRoot ${dir}
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
DefaultRuntimeDir ${dir}
PidFile ${dir}/httpd.pid
${module('mpm_prefork', 'mpm_prefork')}
${module('authn_core', 'authn_core')}
${module('authn_file', 'authn_file')}
${module('authz_core', 'authz_core')}
${module('authz_user', 'authz_user')}
${module('auth_digest', 'auth_digest')}
User nobody
Group nogroup
KeepAlive Off
ErrorLog ${dir}/error.log
LogFormat "%>s\\t%m\\t%U\\t%u\\t%{Authorization}i" witness
CustomLog ${dir}/access.log witness
DocumentRoot ${dir}/htdocs
<Location /private/>
  AuthType Digest
  AuthName "${realm}"
  AuthDigestProvider file
  AuthUserFile ${dir}/digest.pw
  Require valid-user
</Location>
`;
      await writeFile(join(dir, 'httpd.conf'), conf);
      return [APACHE, '-X', '-f', join(dir, 'httpd.conf')];
    });
  }, 30_000);

  afterAll(async () => {
    await apache?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  digestSuite(() => apache as Peer, '/private/', 'MD5');
});

describe('lighttpd mod_auth', () => {
  let dir: string;
  let lighttpd: Peer | undefined;

  beforeAll(async () => {
    requireInstalled(LIGHTTPD, 'lighttpd');
    dir = await siteDir('http-client-lighttpd-', ['md5', 'sha256']);
    // The plain backend: lighttpd computes HA1 itself, for MD5 and SHA-256 alike (an
    // htdigest file holds MD5 HA1s only).
    await writeFile(join(dir, 'users'), `${USER}:${PASSWORD}\n`, { mode: 0o644 });
    lighttpd = await startPeer(
      dir,
      'lighttpd',
      async (port) => {
        const location = (path: string, algorithm: string) =>
          `"/${path}/" => ("method" => "digest", "realm" => "lighttpd realm", ` +
          `"require" => "valid-user", "algorithm" => "${algorithm}")`;
        const conf = `
server.document-root = "${dir}/htdocs"
server.bind = "127.0.0.1"
server.port = ${port}
server.errorlog = "${dir}/error.log"
server.modules = ("mod_auth", "mod_authn_file", "mod_accesslog")
accesslog.filename = "${dir}/access.log"
accesslog.format = "%>s\\t%m\\t%U\\t%u\\t%{Authorization}i"
auth.backend = "plain"
auth.backend.plain.userfile = "${dir}/users"
auth.require = (${location('md5', 'MD5')}, ${location('sha256', 'SHA-256')})
`;
        await writeFile(join(dir, 'lighttpd.conf'), conf);
        return [LIGHTTPD, '-D', '-f', join(dir, 'lighttpd.conf')];
        // lighttpd buffers its access log for seconds; SIGHUP (reopen the logs) writes it out.
      },
      'SIGHUP',
    );
  }, 30_000);

  afterAll(async () => {
    await lighttpd?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  describe('MD5', () => digestSuite(() => lighttpd as Peer, '/md5/', 'MD5'));
  describe('SHA-256', () => digestSuite(() => lighttpd as Peer, '/sha256/', 'SHA-256'));
});
