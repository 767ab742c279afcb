/**
 * The dashboard of `GET /`: one self-contained HTML page (inline CSS and script, nothing
 * loaded from elsewhere). The endpoint list with ports and copy-paste commands is in the
 * HTML itself, so it reads well with JavaScript off; the script polls `/stats` once a
 * second and fills in the live figures and a chart of the last minute's event-loop health.
 *
 * Elements the script fills carry `data-endpoint` + `data-field` (per-endpoint counters) or
 * an `id`; each one's raw number is in `data-value`, its text is formatted for people.
 */
import { createHash } from 'node:crypto';
import { ENDPOINTS, type Endpoint, type Ports } from './config.js';

/** What the page describes. */
export interface DashboardInfo {
  host: string;
  ports: Ports;
  /** Path of the CA certificate clients trust. */
  caCert: string;
  /** Path of the secret's file, or `null` when it came from `NET_ECHO_SECRET`. */
  secretFile: string | null;
}

/** The page and the Content-Security-Policy that lets exactly its inline style and script run. */
export interface Dashboard {
  html: string;
  csp: string;
}

/** Per-endpoint counters shown in the table, in column order. */
const FIELDS = ['active', 'accepted', 'messages', 'bytesIn', 'bytesOut', 'failed'] as const;

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d232a;background:#fafafa}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #d0d7de;padding:.25em .5em;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font:12px ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
.grid{display:flex;flex-wrap:wrap;gap:.6em}.card{background:#fff;border:1px solid #d0d7de;padding:.5em .8em;min-width:9em}
.card b{display:block;font-size:1.3em;font-variant-numeric:tabular-nums}.muted{color:#57606a}
svg{background:#fff;border:1px solid #d0d7de}.p99{fill:none;stroke:#cf222e;stroke-width:1.5}
.p50{fill:none;stroke:#0969da;stroke-width:1.5}.util{fill:none;stroke:#1a7f37;stroke-width:1.5;stroke-dasharray:3 2}
`;

const SCRIPT = `
(() => {
  'use strict';
  const WINDOW = 60;
  const samples = [];
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  const bytes = (n) => {
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i];
  };
  const count = (n) => String(n);
  const set = (el, value, format) => {
    if (!el) return;
    const v = typeof value === 'number' && Number.isFinite(value) ? value : 0;
    el.dataset.value = String(v);
    el.textContent = (format || count)(v);
  };
  const byId = (id) => document.getElementById(id);
  const field = (endpoint, name) =>
    document.querySelector('[data-endpoint="' + endpoint + '"][data-field="' + name + '"]');
  const ms = (n) => n.toFixed(1) + ' ms';
  const pct = (n) => (n * 100).toFixed(1) + ' %';

  function chart() {
    const svg = byId('loop-chart');
    const w = 360, h = 80;
    const maxDelay = Math.max(10, ...samples.map((s) => s.p99));
    const x = (i) => (w * (i + WINDOW - samples.length)) / (WINDOW - 1);
    const line = (key, scale) =>
      samples.map((s, i) => x(i).toFixed(1) + ',' + (h - (h * s[key]) / scale).toFixed(1)).join(' ');
    svg.querySelector('.p99').setAttribute('points', line('p99', maxDelay));
    svg.querySelector('.p50').setAttribute('points', line('p50', maxDelay));
    svg.querySelector('.util').setAttribute('points', line('util', 1));
    set(byId('chart-scale'), maxDelay, ms);
  }

  function workers(stats) {
    const list = byId('workers');
    const pool = stats.endpoints.tcp.detail;
    const rows = [];
    if (pool && Array.isArray(pool.workers)) {
      for (const w of pool.workers) {
        rows.push('tcp worker ' + w.pid + ' (slot ' + w.slot + '): ' + w.connections + ' connections, ' + w.active + ' open' + (w.alive ? '' : ', exited'));
      }
      rows.push('tcp workers restarted: ' + pool.restarts);
    } else {
      rows.push('tcp: served in the main process (no --workers)');
    }
    const c = stats.checksumPool;
    rows.push('checksum threads: ' + c.workers + ' live, ' + c.completed + ' checksums done, ' + c.failed + ' failed, ' + c.running + ' running, ' + c.queued + ' queued');
    list.replaceChildren(...rows.map((text) => {
      const li = document.createElement('li');
      li.textContent = text;
      return li;
    }));
    set(byId('workers-count'), pool && Array.isArray(pool.workers) ? pool.workers.length : 0);
  }

  function render(stats) {
    const e = stats.endpoints;
    for (const [name, counters] of Object.entries(e)) {
      for (const key of ['active', 'accepted', 'messages', 'failed']) set(field(name, key), counters[key]);
      for (const key of ['bytesIn', 'bytesOut']) set(field(name, key), counters[key], bytes);
    }
    let bytesIn = 0, bytesOut = 0;
    for (const counters of Object.values(e)) { bytesIn += counters.bytesIn; bytesOut += counters.bytesOut; }
    set(byId('bytes-in'), bytesIn, bytes);
    set(byId('bytes-out'), bytesOut, bytes);
    set(byId('auth-failures'), e.tcp.authFailures + e.ipc.authFailures);
    set(byId('tls-handshakes'), e.tls.detail ? e.tls.detail.handshakes : 0);
    set(byId('udp-received'), e.udp.detail ? e.udp.detail.received : 0);
    set(byId('udp-dropped'), e.udp.detail ? e.udp.detail.dropped : 0);
    set(byId('time-received'), e.time.accepted);
    set(byId('bulk-arrays'), e.bulk.messages);
    set(byId('bulk-bytes'), e.bulk.bytesIn + e.bulk.bytesOut, bytes);
    set(byId('ipc-messages'), e.ipc.messages);
    set(byId('loop-p50'), stats.loop.delayP50Ms, ms);
    set(byId('loop-p99'), stats.loop.delayP99Ms, ms);
    set(byId('loop-util'), stats.loop.utilization, pct);
    set(byId('uptime'), stats.uptimeSeconds);
    workers(stats);
    samples.push({ p50: stats.loop.delayP50Ms, p99: stats.loop.delayP99Ms, util: stats.loop.utilization });
    if (samples.length > WINDOW) samples.shift();
    chart();
  }

  async function tick() {
    const status = byId('status');
    try {
      const res = await fetch('/stats', { cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      render(await res.json());
      status.textContent = 'live, updated ' + new Date().toLocaleTimeString();
      status.dataset.state = 'live';
    } catch (error) {
      status.textContent = 'cannot read /stats (' + error.message + '); retrying';
      status.dataset.state = 'error';
    } finally {
      setTimeout(tick, 1000);
    }
  }
  tick();
})();
`;

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** Single-quotes a value for a POSIX shell. */
const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** What each endpoint speaks, and a command that talks to it. */
function describeEndpoint(name: Endpoint, info: DashboardInfo): [string, string] {
  const { host, ports, caCert } = info;
  const port = ports[name];
  const secret = info.secretFile ?? '/path/to/secret-file';
  const py = (code: string) => `python3 -c ${sh(code)}`;
  switch (name) {
    case 'tcp':
      return [
        '32-byte challenge; answer HMAC-SHA256(secret, challenge); then echo',
        py(
          `import hmac,socket;k=open(${JSON.stringify(secret)},"rb").read();s=socket.create_connection((${JSON.stringify(host)},${port}));s.sendall(hmac.new(k,s.recv(32),"sha256").digest()+b"hello");print(s.recv(64))`,
        ),
      ];
    case 'tls':
      return [
        'TLS 1.2+ echo (certificate for localhost, 127.0.0.1, ::1)',
        `openssl s_client -connect ${host}:${port} -CAfile ${sh(caCert)} -verify_hostname localhost -quiet`,
      ];
    case 'udp':
      return ['each datagram echoed to its sender', `echo hello | nc -u -w1 ${host} ${port}`];
    case 'time':
      return [
        "any datagram: the time as Python's time.ctime() prints it",
        `echo | nc -u -w1 ${host} ${port}`,
      ];
    case 'http':
      return [
        'GET / | GET /health | GET /stats | POST /echo',
        `curl http://${host.includes(':') ? `[${host}]` : host}:${port}/stats`,
      ];
    case 'bulk':
      return [
        '.npy arrays echoed as .npy arrays',
        py(
          `import socket,numpy as np;from numpy.lib import format as f;s=socket.create_connection((${JSON.stringify(host)},${port}));b=s.makefile("rb");W=type("W",(),{"write":lambda self,d:s.sendall(d) or len(d),"read":lambda self,n=-1:b.read(n)});f.write_array(W(),np.arange(8.0));print(f.read_array(W()))`,
        ),
      ];
    case 'ipc':
      return [
        'multiprocessing.connection, authkey = secret; messages echoed',
        py(
          `from multiprocessing.connection import Client;c=Client((${JSON.stringify(host)},${port}),authkey=open(${JSON.stringify(secret)},"rb").read());c.send_bytes(b"hello");print(c.recv_bytes())`,
        ),
      ];
  }
}

const card = (id: string, label: string): string =>
  `<div class="card"><span class="muted">${label}</span><b id="${id}" data-value="">–</b></div>`;

const hash = (text: string): string =>
  `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Builds the page once (it embeds the ports, so it is built after every endpoint listens). */
export function buildDashboard(info: DashboardInfo): Dashboard {
  const rows = ENDPOINTS.map((name) => {
    const [what, command] = describeEndpoint(name, info);
    const cells = FIELDS.map(
      (f) => `<td class="n" data-endpoint="${name}" data-field="${f}" data-value="">–</td>`,
    ).join('');
    return `<tr data-endpoint="${name}"><th scope="row">${name}</th><td class="n" data-endpoint="${name}" data-field="port">${info.ports[name]}</td><td>${escapeHtml(what)}<br><code>${escapeHtml(command)}</code></td>${cells}</tr>`;
  }).join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,">
<title>net-echo on ${escapeHtml(info.host)}</title>
<style>${STYLE}</style></head>
<body><h1>net-echo on ${escapeHtml(info.host)}</h1>
<p class="muted"><span id="status" data-state="static">Live figures need JavaScript; the raw counters are at <a href="/stats">/stats</a>.</span><br>
CA certificate: <code>${escapeHtml(info.caCert)}</code>; secret: <code>${escapeHtml(info.secretFile ?? 'from NET_ECHO_SECRET')}</code></p>
<h2>Endpoints</h2>
<table id="endpoints"><thead><tr><th>endpoint</th><th>port</th><th>protocol and a command to try it</th><th>open</th><th>accepted</th><th>messages</th><th>bytes in</th><th>bytes out</th><th>failed</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Totals</h2>
<div class="grid">
${card('bytes-in', 'bytes in')}${card('bytes-out', 'bytes out')}${card('auth-failures', 'auth failures (tcp + ipc)')}${card('tls-handshakes', 'TLS handshakes')}
${card('udp-received', 'udp datagrams received')}${card('udp-dropped', 'udp datagrams dropped')}${card('time-received', 'time datagrams')}
${card('bulk-arrays', 'bulk arrays')}${card('bulk-bytes', 'bulk bytes moved')}${card('ipc-messages', 'ipc messages')}${card('uptime', 'uptime, s')}
</div>
<h2>Workers</h2>
<p class="muted">tcp worker processes: <span id="workers-count" data-value="">–</span></p>
<ul id="workers"></ul>
<h2>Event loop</h2>
<div class="grid">${card('loop-p50', 'delay p50')}${card('loop-p99', 'delay p99')}${card('loop-util', 'utilization')}</div>
<p class="muted">Last minute: <span class="legend">red p99 delay, blue p50 delay (0 – <span id="chart-scale" data-value="">10 ms</span>), green dashed utilization (0 – 100 %)</span></p>
<svg id="loop-chart" width="360" height="80" viewBox="0 0 360 80" role="img" aria-label="event-loop delay and utilization, last minute"><polyline class="util" points=""/><polyline class="p50" points=""/><polyline class="p99" points=""/></svg>
<script>${SCRIPT}</script>
</body></html>
`;
  const csp = [
    "default-src 'none'",
    `script-src ${hash(SCRIPT)}`,
    `style-src ${hash(STYLE)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
