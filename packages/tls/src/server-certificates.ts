/**
 * The server's certificates: the secure context new handshakes use, the SNI contexts, and
 * their replacement without restart (`setCertificate`, `reload`, `watch`). Every context
 * gets the same session ticket keys and session id context, so sessions issued before a
 * reload (or under another SNI name's context) still resume.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { CertificateLoadError, InvalidArgumentError } from './errors.js';

/**
 * PEM text or bytes. Not exported: the reference shows the union in place.
 *
 * @inline
 */
type Pem = string | Buffer;

/** A certificate (chain) and its key, PEM. */
export interface ServerCertificate {
  /** Certificate, followed by any intermediate certificates (PEM). */
  cert: Pem;
  /** Its private key (PEM). */
  key: Pem;
  /** Passphrase of an encrypted key. */
  passphrase?: string | undefined;
}

/** What the store needs from the server's options. */
export interface CertificateOptions {
  cert?: Pem | undefined;
  key?: Pem | undefined;
  passphrase?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  sni?: Record<string, ServerCertificate> | undefined;
  /** Settings every context shares: `ca` (clientCa), versions, ciphers, `sessionTimeout`. */
  base: SecureContextOptions;
}

/** @internal The server's current contexts, swapped as a whole by {@link CertificateStore.apply}. */
export class CertificateStore {
  /** The context of handshakes without a matching SNI name. */
  context: SecureContext;
  #sni: Map<string, SecureContext>;
  readonly #base: SecureContextOptions;
  readonly #certFile: string | undefined;
  readonly #keyFile: string | undefined;
  readonly #passphrase: string | undefined;
  #watchers: Array<{ file: string; listener: () => void }> = [];
  #pending: NodeJS.Timeout | undefined;

  constructor(options: CertificateOptions) {
    // tls.Server keeps one set of ticket keys and one session id context for all its
    // contexts; so does this store, across reloads too (keys never leave the process).
    this.#base = {
      ...options.base,
      ticketKeys: randomBytes(48),
      sessionIdContext: randomBytes(16).toString('hex'),
    };
    this.#certFile = options.certFile;
    this.#keyFile = options.keyFile;
    this.#passphrase = options.passphrase;
    this.context = this.#load(initialCertificate(options), 'the server certificate');
    this.#sni = this.#loadSni(options.sni);
  }

  /** The SNI callback of every connection: exact name first, then `*.parent.domain`. */
  readonly sniCallback = (
    servername: string,
    callback: (error: Error | null, context?: SecureContext) => void,
  ): void => {
    const name = servername.toLowerCase();
    let context = this.#sni.get(name);
    if (context === undefined) {
      const dot = name.indexOf('.');
      if (dot > 0) context = this.#sni.get(`*${name.slice(dot)}`);
    }
    callback(null, context);
  };

  /** True when SNI names are configured (the callback is only installed then). */
  get hasSni(): boolean {
    return this.#sni.size > 0;
  }

  /**
   * Replaces the certificate (and the SNI map, when given). Everything is loaded first:
   * on a bad pair this throws `ERR_TLS_BAD_CERTIFICATE` and nothing changes.
   */
  apply(next: ServerCertificate, sni?: Record<string, ServerCertificate>): void {
    const context = this.#load(next, 'the new server certificate');
    const nextSni = sni === undefined ? this.#sni : this.#loadSni(sni);
    this.context = context;
    this.#sni = nextSni;
  }

  /** Re-reads `certFile` and `keyFile` and applies them. */
  async reload(): Promise<void> {
    const certFile = this.#certFile;
    const keyFile = this.#keyFile;
    if (certFile === undefined || keyFile === undefined) {
      throw new InvalidArgumentError(
        'reload() needs the certFile and keyFile options; use setCertificate() otherwise',
      );
    }
    let cert: string;
    let key: string;
    try {
      [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    } catch (error) {
      throw new CertificateLoadError(`${certFile} and ${keyFile}`, { cause: error });
    }
    this.apply({ cert, key, passphrase: this.#passphrase });
  }

  /** Polls `certFile` and `keyFile` every `interval` ms and calls `onChange` after a change. */
  watch(interval: number, onChange: () => void): void {
    const certFile = this.#certFile;
    const keyFile = this.#keyFile;
    if (certFile === undefined || keyFile === undefined || this.#watchers.length > 0) return;
    const listener = (): void => {
      // cert and key are usually replaced one after the other: wait for both.
      clearTimeout(this.#pending);
      this.#pending = setTimeout(onChange, 50);
    };
    this.#watchers = [certFile, keyFile].map((file) => {
      watchFile(file, { interval, persistent: false }, listener);
      return { file, listener };
    });
  }

  /** Stops {@link CertificateStore.watch}. */
  unwatch(): void {
    clearTimeout(this.#pending);
    for (const { file, listener } of this.#watchers) unwatchFile(file, listener);
    this.#watchers = [];
  }

  #load(pair: ServerCertificate, what: string): SecureContext {
    try {
      return createSecureContext({ ...this.#base, ...pair });
    } catch (error) {
      throw new CertificateLoadError(what, {
        cause: error,
        opensslCode: (error as NodeJS.ErrnoException).code,
      });
    }
  }

  #loadSni(sni: Record<string, ServerCertificate> | undefined): Map<string, SecureContext> {
    const contexts = new Map<string, SecureContext>();
    for (const [name, pair] of Object.entries(sni ?? {})) {
      contexts.set(name.toLowerCase(), this.#load(pair, `the SNI certificate for ${name}`));
    }
    return contexts;
  }
}

function initialCertificate(options: CertificateOptions): ServerCertificate {
  if (options.cert !== undefined && options.key !== undefined) {
    return { cert: options.cert, key: options.key, passphrase: options.passphrase };
  }
  if (options.certFile !== undefined && options.keyFile !== undefined) {
    try {
      return {
        cert: readFileSync(options.certFile),
        key: readFileSync(options.keyFile),
        passphrase: options.passphrase,
      };
    } catch (error) {
      throw new CertificateLoadError(`${options.certFile} and ${options.keyFile}`, {
        cause: error,
      });
    }
  }
  throw new InvalidArgumentError(
    'createTlsServer needs `cert` and `key` (PEM), or `certFile` and `keyFile`',
  );
}
