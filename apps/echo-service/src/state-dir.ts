/**
 * The state directory (`--state-dir`) holds the generated secret and the TLS dev CA and
 * keys, so whoever can write it can choose what the service trusts and serves. It is
 * created 0700; an existing one must belong to the user running the service and not be
 * writable by group or others, and every key found in it must be 0600 (or stricter) and
 * the user's: otherwise `serve` refuses to start rather than serve a key someone else knows.
 */
import type { Stats } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InsecurePermissionsError } from './errors.js';

/**
 * The TLS keys of the state directory, relative to it (the generated `secret` is checked
 * by `loadSecret` when it is read, as every secret file is).
 */
export const STATE_KEY_FILES = ['certs/ca.key', 'certs/server.key', 'certs/client.key'];

/** `mode` as the four octal digits `chmod` takes. */
function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** The user running the service, or `undefined` where there are no POSIX owners (Windows). */
function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/** What {@link checkPrivate} requires of a directory and of a key file. */
const RULES = {
  // Group or others writing a directory could replace the files in it.
  directory: {
    isKind: (info: Stats) => info.isDirectory(),
    forbidden: 0o022,
    problem: 'is writable by group or others',
    fix: (path: string) => `run \`chmod go-w ${path}\` (0700 is best) or pick another --state-dir`,
    foreignFix: () => 'use a --state-dir of your own (it is created with mode 0700 when missing)',
    foreignWhy: ', who could replace its keys',
  },
  // ssh's rule for private keys: nobody else may read or write them.
  file: {
    isKind: (info: Stats) => info.isFile(),
    forbidden: 0o077,
    problem: 'is accessible by group or others',
    fix: (path: string) => `run \`chmod 600 ${path}\``,
    foreignFix: (uid: number) =>
      `remove it so that a new one is generated, or \`chown\` it to uid ${uid}`,
    foreignWhy: '',
  },
} as const;

/**
 * Refuses `path` unless it is a `kind` that belongs to the user running the service and
 * grants group and others none of the forbidden bits; `what` names it in the message.
 */
async function checkPrivate(path: string, what: string, kind: keyof typeof RULES): Promise<void> {
  const rule = RULES[kind];
  const info = await stat(path);
  if (!rule.isKind(info)) {
    throw new InsecurePermissionsError(
      path,
      `(${what}) is not a ${kind === 'file' ? 'regular file' : 'directory'}`,
      kind === 'file' ? 'remove it' : 'pick another --state-dir',
    );
  }
  const uid = currentUid();
  if (uid === undefined) return;
  if (info.uid !== uid) {
    throw new InsecurePermissionsError(
      path,
      `(${what}) belongs to uid ${info.uid}, not to the user running the service (uid ${uid})${rule.foreignWhy}`,
      rule.foreignFix(uid),
    );
  }
  if ((info.mode & rule.forbidden) !== 0) {
    throw new InsecurePermissionsError(
      path,
      `(${what}) ${rule.problem} (mode ${octal(info.mode)})`,
      rule.fix(path),
    );
  }
}

/**
 * Refuses a key file that another user owns or that group or others may read or write:
 * the rule ssh applies to private keys. Rejects with `ERR_INSECURE_PERMISSIONS`.
 */
export function checkKeyFile(path: string, what: string): Promise<void> {
  return checkPrivate(path, what, 'file');
}

function missing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Creates the state directory (mode 0700) or checks the existing one, its `certs`
 * subdirectory and the TLS keys in it (see the module comment). Rejects with
 * `ERR_INSECURE_PERMISSIONS`.
 */
export async function prepareStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await checkPrivate(dir, 'the state directory', 'directory');
  await checkPrivate(join(dir, 'certs'), 'the certificates directory', 'directory').catch(
    (error) => {
      if (!missing(error)) throw error;
    },
  );
  for (const name of STATE_KEY_FILES) {
    await checkKeyFile(join(dir, name), 'a key in the state directory').catch((error) => {
      if (!missing(error)) throw error;
    });
  }
}
