/**
 * http endpoint (node:http): `/` the dashboard (dashboard.ts, built once), `/health`,
 * `/stats` (counters of every endpoint and event-loop health), `/metrics` (the same in
 * Prometheus' text format), each for `GET` and `HEAD`; `POST /echo` (the body back as
 * `application/octet-stream`, at most `maxBodyBytes`: 413 beyond). 404/405 otherwise;
 * 421 for a `Host` the endpoint does not know (host-check.ts); 503 while the loop is under
 * pressure (except /health, /stats and /metrics). Every answer forbids sniffing and
 * carries a restrictive Content-Security-Policy (the dashboard its own, hashed one).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Dashboard } from './dashboard.js';
import { createHostCheck } from './host-check.js';
import { closeServer, listenOn } from './listen.js';
import type { Logger } from './log.js';
import { createCounters, type EndpointCounters } from './stats.js';

/** Options of {@link startHttp}. */
export interface StartHttpOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  idleTimeout: number;
  maxConnections: number;
  closeTimeout: number;
  /**
   * The page of `GET /` and its Content-Security-Policy, built once, right after the http
   * endpoint listens (the page embeds every port, this one's too).
   */
  page: (httpPort: number) => Dashboard;
  stats: () => unknown;
  /** The Prometheus exposition of `/metrics`. */
  metrics: { contentType: string; render(): Promise<string> };
  /** Names besides the bound address and `localhost` that `Host` may carry (`--allowed-host`). */
  allowedHosts: readonly string[];
  shed: () => boolean;
  logger: Logger;
}

/** The running http endpoint. */
export interface HttpEndpoint {
  port: number;
  server: Server;
  counters: EndpointCounters;
  close(): Promise<void>;
}

/** Shortest time between two builds of the `/stats` answer (requests in between share it). */
export const STATS_MIN_INTERVAL_MS = 200;

/**
 * Headers of every answer: no MIME sniffing, nothing may run, load or frame it, and no
 * other origin may embed it (the dashboard replaces the CSP with its own hashed one).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
};

/** Starts the http endpoint. */
export async function startHttp(options: StartHttpOptions): Promise<HttpEndpoint> {
  const counters = createCounters();
  const lastModified = new Date();
  lastModified.setMilliseconds(0);
  // Set once the server listens, before any request can arrive.
  let page: { body: Buffer; headers: Record<string, string> } | undefined;

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    head = false,
    extra: Record<string, string> = {},
  ): void => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'content-type': type,
      'content-length': bytes.length,
      ...extra,
    });
    res.end(head ? undefined : bytes);
    counters.bytesOut += head ? 0 : bytes.length;
    counters.messages++;
  };
  const json = (res: ServerResponse, status: number, value: unknown, head = false): void =>
    send(res, status, 'application/json', `${JSON.stringify(value)}\n`, head, {
      'cache-control': 'no-store',
    });

  const echo = (req: IncomingMessage, res: ServerResponse): void => {
    const announced = Number(req.headers['content-length'] ?? 0);
    const tooLarge = () => {
      counters.refused++;
      json(res, 413, { error: `body over ${options.maxBodyBytes} bytes` });
      req.resume();
      res.once('finish', () => req.socket.destroySoon?.());
    };
    if (announced > options.maxBodyBytes) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      counters.bytesIn += chunk.length;
      if (size > options.maxBodyBytes) {
        failed = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      // Never the request's Content-Type: reflected as text/html, the body would be a page
      // on the dashboard's origin.
      send(res, 200, 'application/octet-stream', Buffer.concat(chunks));
    });
  };

  // /stats is built at most once per STATS_MIN_INTERVAL_MS and shared by the requests in
  // between: @net/tcp-server's stats() walks the open connections, so a flood of /stats
  // requests must not turn into one walk per request.
  let snapshot: unknown;
  let snapshotAt = Number.NEGATIVE_INFINITY;
  const statsSnapshot = (): unknown => {
    const now = performance.now();
    if (now - snapshotAt >= STATS_MIN_INTERVAL_MS) {
      snapshot = options.stats();
      snapshotAt = now;
    }
    return snapshot;
  };

  const knownHost = createHostCheck(options.host, options.allowedHosts);
  const metrics = (res: ServerResponse, head: boolean): void => {
    options.metrics.render().then(
      (text) =>
        send(res, 200, options.metrics.contentType, text, head, { 'cache-control': 'no-store' }),
      (error: unknown) => {
        options.logger.failure('http', 'metrics_failed', error);
        send(res, 500, 'text/plain', 'metrics failed\n', head);
      },
    );
  };

  // node:http's own server, not @net/tcp-server's lifecycle: Node enforces headersTimeout
  // and requestTimeout only on an http.Server that listens itself (connections emitted into
  // one from elsewhere lose them), and it already bounds connections (maxConnections),
  // idle keep-alive and slow requests, which is the lifecycle HTTP needs.
  const server = createServer(
    {
      requestTimeout: options.idleTimeout,
      headersTimeout: Math.min(options.idleTimeout, 60_000),
      connectionsCheckingInterval: Math.min(options.idleTimeout, 30_000),
    },
    (req, res) => {
      counters.accepted++;
      const path = (req.url ?? '/').split('?')[0];
      const method = req.method ?? 'GET';
      const head = method === 'HEAD';
      if (!knownHost(req.headers.host)) {
        counters.refused++;
        options.logger.failure(
          'http',
          'misdirected_request',
          new Error(
            `Host ${JSON.stringify(req.headers.host ?? '')} is not this server's; answered 421 (add the name with --allowed-host if it is yours)`,
          ),
        );
        req.resume();
        return send(
          res,
          421,
          'text/plain',
          'misdirected request: this server does not answer to that Host; name it with serve --allowed-host\n',
          head,
          { connection: 'close' },
        );
      }
      if (path !== '/health' && path !== '/stats' && path !== '/metrics' && options.shed()) {
        counters.refused++;
        req.resume();
        return send(res, 503, 'text/plain', 'busy, retry later\n', head, { 'retry-after': '1' });
      }
      const allow = (methods: string[]): boolean => {
        if (methods.includes(method)) return true;
        req.resume();
        send(res, 405, 'text/plain', 'method not allowed\n', head, {
          allow: methods.join(', '),
        });
        return false;
      };
      switch (path) {
        case '/':
          if (allow(['GET', 'HEAD'])) {
            if (!page) return send(res, 503, 'text/plain', 'starting, retry later\n', head);
            send(res, 200, 'text/html; charset=utf-8', page.body, head, page.headers);
          }
          return;
        case '/health':
          if (allow(['GET', 'HEAD'])) json(res, 200, { status: 'ok' }, head);
          return;
        case '/stats':
          if (allow(['GET', 'HEAD'])) json(res, 200, statsSnapshot(), head);
          return;
        case '/metrics':
          if (allow(['GET', 'HEAD'])) metrics(res, head);
          return;
        case '/echo':
          if (allow(['POST'])) echo(req, res);
          return;
        default:
          req.resume();
          send(res, 404, 'text/plain', 'not found\n', head);
      }
    },
  );
  server.maxConnections = options.maxConnections;
  server.keepAliveTimeout = 5_000;
  server.timeout = options.idleTimeout;
  server.on('connection', (socket: Socket) => {
    counters.active++;
    socket.once('close', () => {
      counters.active--;
    });
  });
  server.on('clientError', (error, socket) => {
    counters.failed++;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
    void error;
  });
  server.on('error', (error) => options.logger.failure('http', 'server_error', error));
  const port = await listenOn(server, options.port, options.host);
  const dashboard = options.page(port);
  page = {
    body: Buffer.from(dashboard.html),
    headers: {
      'last-modified': lastModified.toUTCString(),
      'content-security-policy': dashboard.csp,
      'cache-control': 'no-cache',
    },
  };
  return {
    port,
    server,
    counters,
    close: () =>
      closeServer(
        server,
        options.closeTimeout,
        () => server.closeIdleConnections(),
        () => server.closeAllConnections(),
      ),
  };
}
