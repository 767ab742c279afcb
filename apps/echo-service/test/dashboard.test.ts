/**
 * The dashboard of `GET /` in a real browser: Debian's chromium driven by playwright-core.
 * Traffic sent to tcp, udp and bulk must show up on the page within a few seconds; the
 * screenshot is saved to test-artifacts/dashboard.png (the README shows a copy, docs/dashboard.png).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numpyPython, python, type Served, useServe } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
// A test artifact, outside the tracked tree (docs/dashboard.png in the README is a copy of one).
const SCREENSHOT = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'test-artifacts',
  'dashboard.png',
);

const served = useServe();
let s: Served;
let browser: Browser | undefined;

beforeAll(async () => {
  s = served();
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install the Debian package \`chromium\` (apt-get install chromium) to run the browser test`,
    );
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

const url = () => `http://127.0.0.1:${s.ready.ports.http}/`;

/** The raw number behind a figure on the page (`data-value`), NaN while not filled in. */
async function figure(page: Page, selector: string): Promise<number> {
  const value = await page.locator(selector).getAttribute('data-value', { timeout: 2_000 });
  return value === null || value === '' ? Number.NaN : Number(value);
}

const FIGURES = {
  tcpAccepted: '[data-endpoint="tcp"][data-field="accepted"]',
  tcpBytesIn: '[data-endpoint="tcp"][data-field="bytesIn"]',
  udpMessages: '[data-endpoint="udp"][data-field="messages"]',
  udpReceived: '#udp-received',
  bulkBytesIn: '[data-endpoint="bulk"][data-field="bytesIn"]',
  bulkArrays: '#bulk-arrays',
  bulkBytes: '#bulk-bytes',
} as const;
type Figures = Record<keyof typeof FIGURES, number>;

async function readFigures(page: Page): Promise<Figures> {
  const out = {} as Figures;
  for (const [name, selector] of Object.entries(FIGURES)) {
    out[name as keyof Figures] = await figure(page, selector);
  }
  return out;
}

describe('GET / dashboard', () => {
  it('HEAD / has the same Content-Type, Content-Length and Last-Modified as GET /', async () => {
    const get = await fetch(url());
    const body = await get.text();
    const head = await fetch(url(), { method: 'HEAD' });
    expect(get.status).toBe(200);
    expect(head.status).toBe(200);
    for (const name of ['content-type', 'content-length', 'last-modified']) {
      expect(head.headers.get(name), name).toBe(get.headers.get(name));
    }
    expect(Number(get.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    expect(get.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(get.headers.get('content-security-policy')).toContain("default-src 'none'");
    // nothing loaded from elsewhere
    expect(body).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    const again = await fetch(url());
    expect(again.headers.get('last-modified')).toBe(get.headers.get('last-modified'));
    expect(await again.text()).toBe(body);
  });

  it('shows tcp, udp and bulk figures going up in chromium, and saves a screenshot', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(msg.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(url());
      await page.locator('#status[data-state="live"]').waitFor({ timeout: 10_000 });
      const before = await readFigures(page);
      for (const value of Object.values(before)) expect(value).toBeGreaterThanOrEqual(0);

      const tcp = await python('tcp_client.py', [s.ready.ports.tcp, s.ready.secretFile!]);
      expect(tcp.code, tcp.stderr).toBe(0);
      const udp = await python('udp_client.py', [s.ready.ports.udp, s.ready.ports.time]);
      expect(udp.code, udp.stderr).toBe(0);
      const bulk = await numpyPython('bulk_client.py', [s.ready.ports.bulk]);
      expect(bulk.code, bulk.stderr).toBe(0);

      let after = before;
      // bulk_client.py sends 4 arrays: wait for all of them, not just the first refresh
      const grew = () =>
        after.bulkArrays >= before.bulkArrays + 4 &&
        (Object.keys(FIGURES) as (keyof Figures)[]).every((name) => after[name] > before[name]);
      for (let i = 0; i < 50 && !grew(); i++) {
        await page.waitForTimeout(200);
        after = await readFigures(page);
      }
      expect(after.tcpAccepted).toBeGreaterThan(before.tcpAccepted);
      expect(after.tcpBytesIn).toBeGreaterThan(before.tcpBytesIn);
      expect(after.udpMessages).toBeGreaterThan(before.udpMessages);
      expect(after.udpReceived).toBeGreaterThan(before.udpReceived);
      expect(after.bulkBytesIn).toBeGreaterThan(before.bulkBytesIn);
      expect(after.bulkArrays).toBe(before.bulkArrays + 4);
      expect(after.bulkBytes).toBeGreaterThan(before.bulkBytes);
      // the event-loop chart has been drawn from the samples so far
      const points = await page.locator('#loop-chart polyline.p99').getAttribute('points');
      expect(points?.split(' ').length ?? 0).toBeGreaterThanOrEqual(2);
      expect(Number.isFinite(await figure(page, '#loop-p99'))).toBe(true);
      expect(problems).toEqual([]);

      // a few more samples on the chart before the screenshot the README shows
      for (let i = 0; i < 30; i++) {
        const drawn = await page.locator('#loop-chart polyline.p99').getAttribute('points');
        if ((drawn?.split(' ').length ?? 0) >= 6) break;
        await page.waitForTimeout(200);
      }
      await mkdir(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);
    } finally {
      await context.close();
    }
  }, 40_000);

  it('lists every endpoint with its port with JavaScript off', async () => {
    const context = await browser!.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(url());
      const rows = page.locator('#endpoints tbody tr');
      expect(await rows.count()).toBe(7);
      for (const [name, port] of Object.entries(s.ready.ports)) {
        const cell = page.locator(`[data-endpoint="${name}"][data-field="port"]`);
        expect(await cell.textContent()).toBe(String(port));
        expect(await page.locator(`tr[data-endpoint="${name}"] code`).textContent()).toContain(
          String(port),
        );
      }
      expect(await page.locator('#status').getAttribute('data-state')).toBe('static');
      expect(await page.locator('#status').textContent()).toContain('need JavaScript');
    } finally {
      await context.close();
    }
  }, 20_000);
});
