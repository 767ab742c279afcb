/**
 * The shared secret of the tcp (HMAC) and ipc (authkey) endpoints. Never taken from argv:
 * `--secret-file`, else `NET_ECHO_SECRET`, else a random one generated into the state dir.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SecretError } from './errors.js';

/** Name of the generated secret file inside the state directory. */
export const GENERATED_SECRET_NAME = 'secret';

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
  stateDir: string;
}

/** Reads a secret file: its bytes exactly; refuses an empty file. */
export async function readSecretFile(path: string): Promise<Buffer> {
  let key: Buffer;
  try {
    key = await readFile(path);
  } catch (error) {
    throw new SecretError(`Cannot read the secret file ${path}; check the path`, error);
  }
  if (key.length === 0) throw new SecretError(`The secret file ${path} is empty; put a key in it`);
  return key;
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
    return { key: Buffer.from(options.env, 'utf8'), secretFile: null, source: 'env' };
  }
  const dir = resolve(options.stateDir);
  const path = join(dir, GENERATED_SECRET_NAME);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await writeFile(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    }
    await chmod(path, 0o600);
  } catch (error) {
    throw new SecretError(`Cannot create the secret file ${path}; check the state dir`, error);
  }
  return { key: await readSecretFile(path), secretFile: path, source: 'generated' };
}
