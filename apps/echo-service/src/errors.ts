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
