/**
 * The shared secret of the tcp (HMAC) and ipc (authkey) endpoints. Never taken from argv:
 * `--secret-file`, else `NET_ECHO_SECRET`, else a random one generated into the state dir.
 * Every source must give at least {@link MIN_SECRET_BYTES} bytes: the tcp challenge and its
 * HMAC travel in clear, so one observed handshake allows an offline guess of a short key.
 * A secret file must not be readable by group or others (ssh's rule for private keys).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MIN_SECRET_BYTES, SecretError, SecretTooShortError } from './errors.js';
import { checkKeyFile } from './state-dir.js';

/** Name of the generated secret file inside the state directory. */
export const GENERATED_SECRET_NAME = 'secret';

/** Environment variable that may carry the secret (UTF-8). */
export const SECRET_ENV = 'NET_ECHO_SECRET';

/** The loaded secret and where it came from. */
export interface LoadedSecret {
  /** The key bytes (the file's bytes exactly, or the variable's UTF-8 bytes). */
  key: Buffer;
  /** The file it came from (absolute), or `null` when it came from `NET_ECHO_SECRET`. */
  secretFile: string | null;
  /** `'file'`, `'env'` or `'generated'`. */
  source: 'file' | 'env' | 'generated';
}

/** Options of {@link loadSecret}. */
export interface LoadSecretOptions {
  secretFile?: string | undefined;
  env?: string | undefined;
  /** The state directory, already prepared (`prepareStateDir`). */
  stateDir: string;
}

const GENERATE_HINT = 'head -c 32 /dev/urandom > FILE && chmod 600 FILE';

/**
 * Reads a secret file: its bytes exactly. Refuses (`ERR_INSECURE_PERMISSIONS`) a file that
 * group or others may read or write, or that belongs to another user, and
 * (`ERR_SECRET_TOO_SHORT`) one of fewer than {@link MIN_SECRET_BYTES} bytes.
 */
export async function readSecretFile(path: string): Promise<Buffer> {
  let key: Buffer;
  try {
    await checkKeyFile(path, 'the secret file');
    key = await readFile(path);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_INSECURE_PERMISSIONS') throw error;
    throw new SecretError(`Cannot read the secret file ${path}; check the path`, error);
  }
  checkSecretLength(key, `in ${path}`, GENERATE_HINT.replaceAll('FILE', path));
  return key;
}

/** The secret from `NET_ECHO_SECRET`'s value; refuses one shorter than the minimum. */
export function secretFromEnv(value: string): Buffer {
  const key = Buffer.from(value, 'utf8');
  checkSecretLength(
    key,
    `in ${SECRET_ENV}`,
    `e.g. ${SECRET_ENV}="$(head -c 32 /dev/urandom | base64)", or use --secret-file`,
  );
  return key;
}

function checkSecretLength(key: Buffer, where: string, fix: string): void {
  if (key.length < MIN_SECRET_BYTES) throw new SecretTooShortError(where, key.length, fix);
}

/**
 * Loads the secret: `secretFile` (its bytes, exactly), else `env` (UTF-8), else the
 * state dir's generated `secret` file (64 hex characters from 32 random bytes, mode 0600),
 * created if missing.
 */
export async function loadSecret(options: LoadSecretOptions): Promise<LoadedSecret> {
  if (options.secretFile !== undefined) {
    const path = resolve(options.secretFile);
    return { key: await readSecretFile(path), secretFile: path, source: 'file' };
  }
  if (options.env !== undefined && options.env !== '') {
    return { key: secretFromEnv(options.env), secretFile: null, source: 'env' };
  }
  const path = join(resolve(options.stateDir), GENERATED_SECRET_NAME);
  try {
    // 'wx': never overwrite (nor follow a link planted in place of) an existing file.
    await writeFile(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SecretError(`Cannot create the secret file ${path}; check the state dir`, error);
    }
  }
  return { key: await readSecretFile(path), secretFile: path, source: 'generated' };
}

/** `env` without `NET_ECHO_SECRET`: no child of the service gets it. */
export function withoutSecret(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy[SECRET_ENV];
  return copy;
}
