/**
 * The state directory (`--state-dir`) holds the generated secret and the TLS dev CA and
 * keys, so whoever can write it can choose what the service trusts and serves. It is
 * created 0700; an existing one must belong to the user running the service and not be
 * writable by group or others, and every key found in it must be 0600 (or stricter) and
 * the user's: otherwise `serve` refuses to start rather than serve a key someone else knows.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InsecurePermissionsError } from './errors.js';

/** Files of the state directory that hold keys, relative to it. */
export const STATE_KEY_FILES = ['secret', 'certs/ca.key', 'certs/server.key', 'certs/client.key'];

/** `mode` as the four octal digits `chmod` takes. */
function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** The user running the service, or `undefined` where there are no POSIX owners (Windows). */
function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Refuses a directory that another user owns or that group or others may write (they
 * could replace the files in it); `what` names it in the message.
 */
async function checkDirectory(path: string, what: string): Promise<void> {
  const uid = currentUid();
  const info = await stat(path);
  if (!info.isDirectory()) {
    throw new InsecurePermissionsError(
      path,
      `(${what}) is not a directory`,
      'pick another --state-dir',
    );
  }
  if (uid === undefined) return;
  if (info.uid !== uid) {
    throw new InsecurePermissionsError(
      path,
      `(${what}) belongs to uid ${info.uid}, not to the user running the service (uid ${uid}), who could replace its keys`,
      'use a --state-dir of your own (it is created with mode 0700 when missing)',
    );
  }
  if ((info.mode & 0o022) !== 0) {
    throw new InsecurePermissionsError(
      path,
      `(${what}) is writable by group or others (mode ${octal(info.mode)})`,
      `run \`chmod go-w ${path}\` (0700 is best) or pick another --state-dir`,
    );
  }
}

/**
 * Refuses a key file that another user owns or that group or others may read or write:
 * the rule ssh applies to private keys.
 */
export async function checkKeyFile(path: string, what: string): Promise<void> {
  const uid = currentUid();
  const info = await stat(path);
  if (!info.isFile()) {
    throw new InsecurePermissionsError(path, `(${what}) is not a regular file`, 'remove it');
  }
  if (uid === undefined) return;
  if (info.uid !== uid) {
    throw new InsecurePermissionsError(
      path,
      `(${what}) belongs to uid ${info.uid}, not to the user running the service (uid ${uid})`,
      `remove it so that a new one is generated, or \`chown\` it to uid ${uid}`,
    );
  }
  if ((info.mode & 0o077) !== 0) {
    throw new InsecurePermissionsError(
      path,
      `(${what}) is accessible by group or others (mode ${octal(info.mode)})`,
      `run \`chmod 600 ${path}\``,
    );
  }
}

function missing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Creates the state directory (mode 0700) or checks the existing one, its `certs`
 * subdirectory and every key in them (see the module comment). Rejects with
 * `ERR_INSECURE_PERMISSIONS`.
 */
export async function prepareStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await checkDirectory(dir, 'the state directory');
  await checkDirectory(join(dir, 'certs'), 'the certificates directory').catch((error) => {
    if (!missing(error)) throw error;
  });
  for (const name of STATE_KEY_FILES) {
    await checkKeyFile(join(dir, name), 'a key in the state directory').catch((error) => {
      if (!missing(error)) throw error;
    });
  }
}
