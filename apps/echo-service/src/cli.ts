/**
 * net-echo: one echo service that wires every @net package, and its clients.
 *
 *   net-echo serve [options]   start every endpoint, print the ready line on stdout
 *   net-echo check [options]   run a client of every endpoint, print a table
 *   net-echo demo  [options]   serve on free ports in a child process + check; exit 0 if all pass
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { MultiprocessingDigest } from '@net/hmac-auth';
import { CHECK_DEFAULTS, formatTable, progressBar, runCheck } from './check.js';
import { ENDPOINTS, type Endpoint, IPC_DIGESTS, type Ports, SERVICE_DEFAULTS } from './config.js';
import { runDemo } from './demo.js';
import { UsageError } from './errors.js';
import { normalizeHostname } from './host-check.js';
import { createLogger, LOG_FORMATS, type LogFormat, type Logger } from './log.js';
import { GENERATED_SECRET_NAME, readSecretFile, SECRET_ENV, secretFromEnv } from './secret.js';
import { readyLine, startService } from './service.js';

const HELP = `net-echo: one echo service that wires every @net package together

Usage:
  net-echo serve [--host 127.0.0.1] [--tcp-port N] [--tls-port N] [--udp-port N]
                 [--time-port N] [--http-port N] [--bulk-port N] [--ipc-port N]
                 [--workers N] [--secret-file PATH] [--state-dir DIR] [--client-ca PATH]
                 [--cert PATH --key PATH [--ca-cert PATH]]
                 [--auth-timeout MS] [--idle-timeout MS] [--handshake-timeout MS]
                 [--close-timeout MS] [--max-body-bytes N] [--max-bulk-bytes N] [--bulk-memory N]
                 [--max-ipc-message N] [--max-connections N] [--shed-delay-ms MS]
                 [--allowed-host NAME]... [--ipc-digests LIST] [--log-format text|json]
  net-echo check [--host H] [--ports-from READY_JSON_FILE | the port flags]
                 [--secret-file F] [--ca F] [--state-dir DIR] [--client-cert F --client-key F]
                 [--bulk-bytes N] [--timeout MS]
  net-echo demo  [--host 127.0.0.1] [--bulk-bytes N] [--state-dir DIR] [--timeout MS]
  net-echo --help

serve  Starts every endpoint (default ports 7000-7006: tcp tls udp time http bulk ipc;
       0 = a free port) and prints one line of JSON on stdout when all listen:
       {"event":"ready","ports":{...},"caCert":"<path>","secretFile":"<path>|null","pid":N}
       Logs go to stderr. SIGINT/SIGTERM: graceful shutdown, exit code 0.
       The secret: --secret-file (its bytes), else NET_ECHO_SECRET, else generated into
       <state-dir>/secret (mode 0600). Never from the command line. At least 16 bytes;
       a --secret-file must not be readable by group or others (chmod 600). No child
       process gets NET_ECHO_SECRET; --workers get the secret over their IPC channel.
       Default state dir: ./.net-echo (TLS dev certificates in <state-dir>/certs), created
       0700; an existing one must be yours and not writable by group or others, and every
       key in it yours and 0600.
       --allowed-host NAME (repeatable): a name the http endpoint answers to besides the
       --host address and localhost (any other Host header gets 421), e.g. the public
       name behind nginx.
       --ipc-digests LIST: HMAC digests the ipc endpoint accepts (default sha256,md5;
       md5 is what Python <= 3.11 clients answer with: sha256 alone refuses them).
       --log-format text|json: stderr lines for people (default) or one JSON object per
       line; repeated failures are summarised every 10 s, never one line each.
       --cert/--key: PEM files of the tls endpoint's certificate (chain) and key, used
       instead of generated dev certificates (every instance behind a load balancer must
       present the same one); --ca-cert: the CA that signed it, reported as the ready
       line's caCert (default: the --cert file). See deploy/README.md.
check  Talks to every endpoint with our own clients and prints endpoint, result, latency
       or throughput; the bulk check round-trips --bulk-bytes (default 1 GiB) with a
       progress bar on stderr. Exit code 0 only if every endpoint passed.
demo   Runs serve on free ports in a child process, then check; exit code 0 only if all pass.

Defaults: --auth-timeout 10000, --idle-timeout 60000, --handshake-timeout 10000,
--close-timeout 3000, --max-body-bytes 1048576, --max-bulk-bytes 1073741824,
--bulk-memory 2 x --max-bulk-bytes (bulk arrays admitted at once, over all connections),
--max-ipc-message 67108864, --max-connections 1000 (per stream endpoint, counted from
accept; service-wide with --workers), --shed-delay-ms 1000 (0 = never shed).
`;

// Read once and removed from the environment at once, so that no child of this process
// (tcp workers, demo's serve, the checksum worker thread) inherits the secret.
const secretEnv = process.env[SECRET_ENV];
delete process.env[SECRET_ENV];

const portOptions = Object.fromEntries(
  ENDPOINTS.map((name) => [`${name}-port`, { type: 'string' as const }]),
) as Record<`${Endpoint}-port`, { type: 'string' }>;

const OPTIONS = {
  serve: {
    host: { type: 'string' },
    ...portOptions,
    workers: { type: 'string' },
    'secret-file': { type: 'string' },
    'state-dir': { type: 'string' },
    'client-ca': { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'ca-cert': { type: 'string' },
    'auth-timeout': { type: 'string' },
    'idle-timeout': { type: 'string' },
    'handshake-timeout': { type: 'string' },
    'close-timeout': { type: 'string' },
    'max-body-bytes': { type: 'string' },
    'max-bulk-bytes': { type: 'string' },
    'bulk-memory': { type: 'string' },
    'max-ipc-message': { type: 'string' },
    'max-connections': { type: 'string' },
    'shed-delay-ms': { type: 'string' },
    'allowed-host': { type: 'string', multiple: true },
    'ipc-digests': { type: 'string' },
    'log-format': { type: 'string' },
  },
  check: {
    host: { type: 'string' },
    ...portOptions,
    'ports-from': { type: 'string' },
    'secret-file': { type: 'string' },
    ca: { type: 'string' },
    'state-dir': { type: 'string' },
    'client-cert': { type: 'string' },
    'client-key': { type: 'string' },
    'bulk-bytes': { type: 'string' },
    timeout: { type: 'string' },
  },
  demo: {
    host: { type: 'string' },
    'bulk-bytes': { type: 'string' },
    'state-dir': { type: 'string' },
    timeout: { type: 'string' },
  },
} as const;

type Values = Record<string, string | string[] | boolean | undefined>;

/** An integer option within [min, max], or undefined when absent. */
function int(values: Values, name: string, min: number, max: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || value < min || value > max) {
    throw new UsageError(
      `--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function str(values: Values, name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

/** `--allowed-host` values: each a bare host name or address (no port, no scheme). */
function allowedHosts(values: Values): string[] | undefined {
  const raw = values['allowed-host'];
  if (raw === undefined) return undefined;
  const names = Array.isArray(raw) ? raw : [String(raw)];
  for (const name of names) {
    if (normalizeHostname(name) === undefined) {
      throw new UsageError(
        `--allowed-host takes a host name or address without port or scheme, got ${JSON.stringify(name)}`,
      );
    }
  }
  return names;
}

/** `--log-format`: text (default) or json. */
function logFormat(values: Values): LogFormat {
  const raw = str(values, 'log-format') ?? 'text';
  if (!LOG_FORMATS.includes(raw as LogFormat)) {
    throw new UsageError(
      `--log-format must be ${LOG_FORMATS.join(' or ')}, got ${JSON.stringify(raw)}`,
    );
  }
  return raw as LogFormat;
}

/** `--ipc-digests`: a comma-separated, non-empty list of Python's digest names. */
function ipcDigests(values: Values): MultiprocessingDigest[] | undefined {
  const raw = str(values, 'ipc-digests');
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !IPC_DIGESTS.includes(name as MultiprocessingDigest));
  if (names.length === 0 || unknown.length > 0 || new Set(names).size !== names.length) {
    throw new UsageError(
      `--ipc-digests must list distinct digests out of ${IPC_DIGESTS.join(', ')} (comma-separated), got ${JSON.stringify(raw)}`,
    );
  }
  return names as MultiprocessingDigest[];
}

function portsFrom(values: Values, fallback: Ports): Ports {
  const ports = { ...fallback };
  for (const name of ENDPOINTS) ports[name] = int(values, `${name}-port`, 0, 65_535) ?? ports[name];
  return ports;
}

/** The process's logger: text until `serve` has read `--log-format`. */
let logger: Logger = createLogger();

async function serve(values: Values): Promise<number> {
  logger = createLogger({ format: logFormat(values) });
  // Signal handlers go in before anything starts (a signal that arrives before a handler
  // exists kills the process with no exit code); a signal during startup closes once started.
  let signalled: string | undefined;
  let onSignal: (signal: string) => void = (signal) => {
    signalled = signal;
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  const closeTimeout = int(values, 'close-timeout', 0, 600_000);
  const service = await startService({
    host: str(values, 'host'),
    ports: portsFrom(values, SERVICE_DEFAULTS.ports),
    workers: int(values, 'workers', 0, 64),
    secretFile: str(values, 'secret-file'),
    secretEnv,
    stateDir: str(values, 'state-dir'),
    clientCa: str(values, 'client-ca'),
    cert: str(values, 'cert'),
    key: str(values, 'key'),
    caCert: str(values, 'ca-cert'),
    authTimeout: int(values, 'auth-timeout', 1, 600_000),
    idleTimeout: int(values, 'idle-timeout', 1, 86_400_000),
    handshakeTimeout: int(values, 'handshake-timeout', 1, 600_000),
    closeTimeout,
    maxBodyBytes: int(values, 'max-body-bytes', 0, 2 ** 31),
    maxBulkBytes: int(values, 'max-bulk-bytes', 0, 2 ** 33),
    bulkMemory: int(values, 'bulk-memory', 1, 2 ** 40),
    maxIpcMessage: int(values, 'max-ipc-message', 1, 2 ** 31),
    maxConnections: int(values, 'max-connections', 1, 1_000_000),
    shedDelayMs: int(values, 'shed-delay-ms', 0, 600_000),
    allowedHosts: allowedHosts(values),
    ipcDigests: ipcDigests(values),
    logger,
  });
  return new Promise<number>((resolveExit) => {
    onSignal = (signal) => {
      logger.info('service', 'closing', `${signal}: closing`, { signal });
      const force = setTimeout(
        () => {
          logger.error('service', 'close_timeout', 'close took too long; exiting');
          resolveExit(0);
        },
        (closeTimeout ?? SERVICE_DEFAULTS.closeTimeout) + 5_000,
      );
      force.unref();
      service.close().then(
        () => {
          clearTimeout(force);
          logger.info('service', 'closed', 'closed');
          resolveExit(0);
        },
        (error: unknown) => {
          logger.failure('service', 'close_failed', error);
          resolveExit(1);
        },
      );
    };
    if (signalled !== undefined) {
      onSignal(signalled);
      return;
    }
    process.stdout.write(`${readyLine(service)}\n`);
    logger.info('service', 'ready', `ready: ${JSON.stringify(service.ports)}`, {
      ...Object.fromEntries(ENDPOINTS.map((name) => [`${name}Port`, service.ports[name]])),
    });
  });
}

async function check(values: Values): Promise<number> {
  const stateDir = resolve(str(values, 'state-dir') ?? SERVICE_DEFAULTS.stateDir);
  let ports: Ports = SERVICE_DEFAULTS.ports;
  let readyCa: string | undefined;
  let readySecret: string | null | undefined;
  const from = str(values, 'ports-from');
  if (from !== undefined) {
    let ready: { ports?: Ports; caCert?: string; secretFile?: string | null };
    try {
      ready = JSON.parse(await readFile(from, 'utf8'));
    } catch (error) {
      throw new UsageError(`--ports-from ${from} is not a readable ready line (${String(error)})`);
    }
    if (typeof ready.ports !== 'object' || ready.ports === null) {
      throw new UsageError(`--ports-from ${from} has no "ports"`);
    }
    ports = { ...ports, ...ready.ports };
    readyCa = ready.caCert;
    readySecret = ready.secretFile;
  }
  ports = portsFrom(values, ports);
  const secretFile =
    str(values, 'secret-file') ??
    readySecret ??
    (secretEnv ? undefined : join(stateDir, GENERATED_SECRET_NAME));
  const key =
    secretFile !== undefined ? await readSecretFile(secretFile) : secretFromEnv(secretEnv ?? '');
  const caPath = str(values, 'ca') ?? readyCa ?? join(stateDir, 'certs', 'ca.crt');
  const ca = await readFile(caPath, 'utf8').catch((error: unknown) => {
    throw new UsageError(`cannot read the CA certificate ${caPath} (${String(error)}); pass --ca`);
  });
  const certPath = str(values, 'client-cert') ?? join(stateDir, 'certs', 'client.crt');
  const keyPath = str(values, 'client-key') ?? join(stateDir, 'certs', 'client.key');
  const clientCert =
    existsSync(certPath) && existsSync(keyPath)
      ? { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') }
      : undefined;
  const results = await runCheck({
    host: str(values, 'host') ?? SERVICE_DEFAULTS.host,
    ports,
    key,
    ca,
    clientCert,
    bulkBytes: int(values, 'bulk-bytes', 4, 2 ** 33) ?? CHECK_DEFAULTS.bulkBytes,
    timeout: int(values, 'timeout', 1, 3_600_000) ?? CHECK_DEFAULTS.timeout,
    onBulkProgress: progressBar('bulk round trip'),
  });
  process.stdout.write(`${formatTable(results)}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

async function demo(values: Values): Promise<number> {
  const ok = await runDemo({
    host: str(values, 'host') ?? SERVICE_DEFAULTS.host,
    bulkBytes: int(values, 'bulk-bytes', 4, 2 ** 33) ?? CHECK_DEFAULTS.bulkBytes,
    stateDir: str(values, 'state-dir'),
    timeout: int(values, 'timeout', 1, 3_600_000),
  });
  return ok ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'serve' && command !== 'check' && command !== 'demo') {
    throw new UsageError(`unknown command ${JSON.stringify(command)} (serve, check or demo)`);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  let values: Values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: OPTIONS[command] as Record<string, { type: 'string'; multiple?: boolean }>,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (command === 'serve') return serve(values);
  if (command === 'check') return check(values);
  return demo(values);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const code = (error as { code?: unknown }).code;
    logger.error(
      'service',
      'error',
      `error${typeof code === 'string' ? ` ${code}` : ''}: ${error instanceof Error ? error.message : String(error)}`,
      { code: typeof code === 'string' ? code : undefined },
    );
    logger.flush();
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
