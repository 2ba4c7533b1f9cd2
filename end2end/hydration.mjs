// Time to hydrate a page in Chromium, for scripts/bench (not a test).
//
//   BASE_URL=http://127.0.0.1:3300 BENCH_LOGIN=... BENCH_PASSWORD=... node end2end/hydration.mjs [path] [runs]
//
// Logs in through the JSON API, then loads `path` (default /tickets) `runs`
// times (default 10) and prints JSON: navigation start → DOMContentLoaded and
// → hydrated, in ms. "Hydrated" is when the wasm has run: the theme button
// gets its `data-theme-now` attribute only then (see tests/helpers.ts).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('@playwright/test');

const base = process.env.BASE_URL || 'http://127.0.0.1:3300';
const path = process.argv[2] || '/tickets';
const runs = Number(process.argv[3] || 10);
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const browser = await chromium.launch({ executablePath, args });
try {
  const context = await browser.newContext({ baseURL: base });
  // The cross-site check accepts writes only from Guichet's own pages.
  const login = await context.request.post('/api/v1/auth/login', {
    data: { login: process.env.BENCH_LOGIN, password: process.env.BENCH_PASSWORD },
    headers: { Origin: new URL(base).origin },
  });
  if (!login.ok()) throw new Error(`log-in failed: ${login.status()} ${await login.text()}`);
  await context.addInitScript(() => {
    const found = () => document.querySelector('button.theme-toggle[data-theme-now]');
    const observer = new MutationObserver(() => {
      if (window.__hydratedAt === undefined && found()) {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document, { subtree: true, childList: true, attributes: true });
  });
  const page = await context.newPage();
  const domContentLoaded = [];
  const hydrated = [];
  for (let run = 0; run < runs; run++) {
    const response = await page.goto(path, { waitUntil: 'load' });
    if (!response || !response.ok()) throw new Error(`GET ${path}: ${response && response.status()}`);
    const at = await page.waitForFunction(() => window.__hydratedAt, null, { timeout: 30_000 });
    hydrated.push(await at.jsonValue());
    domContentLoaded.push(
      await page.evaluate(() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd),
    );
  }
  console.log(
    JSON.stringify({
      path,
      runs,
      dom_content_loaded_ms: domContentLoaded,
      hydrated_ms: hydrated,
      chromium: `Chromium ${browser.version()}`,
    }),
  );
} finally {
  await browser.close();
}
