/**
 * http endpoint (node:http): `GET`/`HEAD /` the dashboard (dashboard.ts, built once), `GET /health`,
 * `GET /stats` (counters of every endpoint and event-loop health), `POST /echo` (the body
 * back with its content type, at most `maxBodyBytes`: 413 beyond). 404/405 otherwise;
 * 503 while the loop is under pressure (except /health and /stats).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Dashboard } from './dashboard.js';
import { closeServer, listenOn } from './listen.js';
import { createCounters, type EndpointCounters } from './stats.js';
import { describe } from './tcp.js';

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
  shed: () => boolean;
  log: (message: string) => void;
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
    res.writeHead(status, { 'content-type': type, 'content-length': bytes.length, ...extra });
    res.end(head ? undefined : bytes);
    counters.bytesOut += head ? 0 : bytes.length;
    counters.messages++;
  };
  const json = (res: ServerResponse, status: number, value: unknown): void =>
    send(res, status, 'application/json', `${JSON.stringify(value)}\n`);

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
      const type = req.headers['content-type'] ?? 'application/octet-stream';
      send(res, 200, type, Buffer.concat(chunks));
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
      if (path !== '/health' && path !== '/stats' && options.shed()) {
        counters.refused++;
        req.resume();
        return send(res, 503, 'text/plain', 'busy, retry later\n', false, { 'retry-after': '1' });
      }
      const allow = (methods: string[]): boolean => {
        if (methods.includes(method)) return true;
        req.resume();
        send(res, 405, 'text/plain', 'method not allowed\n', method === 'HEAD', {
          allow: methods.join(', '),
        });
        return false;
      };
      switch (path) {
        case '/':
          if (allow(['GET', 'HEAD'])) {
            if (!page) return send(res, 503, 'text/plain', 'starting, retry later\n');
            send(res, 200, 'text/html; charset=utf-8', page.body, method === 'HEAD', page.headers);
          }
          return;
        case '/health':
          if (allow(['GET'])) json(res, 200, { status: 'ok' });
          return;
        case '/stats':
          if (allow(['GET'])) json(res, 200, statsSnapshot());
          return;
        case '/echo':
          if (allow(['POST'])) echo(req, res);
          return;
        default:
          req.resume();
          send(res, 404, 'text/plain', 'not found\n', method === 'HEAD');
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
  server.on('error', (error) => options.log(`http: ${describe(error)}`));
  const port = await listenOn(server, options.port, options.host);
  const dashboard = options.page(port);
  page = {
    body: Buffer.from(dashboard.html),
    headers: {
      'last-modified': lastModified.toUTCString(),
      'content-security-policy': dashboard.csp,
      'x-content-type-options': 'nosniff',
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
