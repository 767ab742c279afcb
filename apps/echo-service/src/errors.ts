/** Errors of the net-echo CLI; each extends `NetError` with a stable `code`. */
import { NetError } from '@net/stream-reader';

/** A command line the CLI cannot run: unknown command or option, bad value. */
export class UsageError extends NetError {
  constructor(message: string) {
    super('ERR_USAGE', `${message}; run \`net-echo --help\` for the usage`);
  }
}

/** The shared secret could not be loaded or created. */
export class SecretError extends NetError {
  constructor(message: string, cause?: unknown) {
    super('ERR_SECRET', message, { cause });
  }
}

/** Fewest bytes a secret may have (128 bits). */
export const MIN_SECRET_BYTES = 16;

/** A secret shorter than {@link MIN_SECRET_BYTES}: one observed handshake would allow an offline brute force. */
export class SecretTooShortError extends NetError {
  readonly length: number;
  constructor(where: string, length: number, fix: string) {
    super(
      'ERR_SECRET_TOO_SHORT',
      `The secret ${where} is ${length} byte${length === 1 ? '' : 's'}; it must be at least ${MIN_SECRET_BYTES} bytes (32 random bytes recommended: ${fix})`,
    );
    this.length = length;
  }
}

/**
 * A file or directory the service would trust (secret file, state directory, keys in it)
 * that others can read or write, or that belongs to another user.
 */
export class InsecurePermissionsError extends NetError {
  readonly path: string;
  constructor(path: string, problem: string, fix: string) {
    super('ERR_INSECURE_PERMISSIONS', `${path} ${problem}; ${fix}`);
    this.path = path;
  }
}

/** `serve` could not start one of its endpoints. */
export class StartError extends NetError {
  constructor(endpoint: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'ERR_START',
      `Could not start the ${endpoint} endpoint: ${detail}; pick another port (0 = any free port)`,
      { cause },
    );
  }
}

/** `--cert`, `--key` or `--ca-cert` could not be read. */
export class CertificateError extends NetError {
  constructor(message: string, cause?: unknown) {
    super('ERR_CERTIFICATE', message, { cause });
  }
}

/** `demo` could not start its `serve` child. */
export class DemoError extends NetError {
  constructor(message: string, cause?: unknown) {
    super('ERR_DEMO', message, { cause });
  }
}
