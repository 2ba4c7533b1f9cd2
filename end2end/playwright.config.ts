import { defineConfig } from '@playwright/test';
import type { LanguageOptions } from './tests/i18n';

// End-to-end tests of Guichet. Run them with `scripts/test e2e` from the
// repository root: it builds the app (`cargo leptos build --split`), recreates the
// database guichet_e2e and then runs `npx playwright test` here.
//
// Playwright starts the servers itself (`webServer` below) on a fresh, empty
// database; the first applies the migrations and loads the demo accounts.

// GUICHET_E2E_PORT moves both instances (default 3100 and 3101), so that two
// runs can share the machine; tests read the ports from tests/ports.ts.
import { FIRST_PORT as PORT, PROXY_PORT, SECOND_PORT } from './tests/ports';
const BASE_URL = `http://127.0.0.1:${PORT}`;
// A second instance on the same database (live.spec.ts talks to it too).
const DATABASE_URL =
  process.env.GUICHET_E2E_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/guichet_e2e';

// `npx playwright install` cannot download browsers here: use Debian's Chromium
// (override with CHROMIUM_PATH).
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig<LanguageOptions>({
  testDir: './tests',
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  // One retry; the list reporter names every test that needed it ("flaky"),
  // and a broken feature fails both tries. Two rare races are open (README,
  // under "scripts/test"): a server-rendered <main> that came out empty
  // (leptos issues #4578, #4851) and a missed typing indicator.
  retries: 1,
  // A 2-core machine that also runs the server and PostgreSQL.
  workers: 2,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // Screenshot baselines (screenshots.spec.ts), committed: one per name, in
  // end2end/screenshots/<spec>/, without the platform or project suffixes of
  // Playwright's default template (one project takes them, and they are
  // only meaningful for Debian's Chromium and fonts, which the tests use on
  // every machine).
  snapshotPathTemplate: '{testDir}/../screenshots/{testFileName}/{arg}{ext}',
  use: {
    baseURL: BASE_URL,
    browserName: 'chromium',
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  // Every test runs four times: hydrated (wasm) and as plain HTML forms
  // without JavaScript, which Guichet supports too, each in English and in
  // French (the browser's locale and Accept-Language; tests read their texts
  // from the catalogues through tests/i18n.ts).
  //
  // The screenshot checks (screenshots.spec.ts) run in one project only,
  // hydrated-en, so that each screenshot has one baseline.
  projects: (['hydrated', 'no-js'] as const).flatMap((mode) =>
    (['en', 'fr'] as const).map((language) => ({
      name: `${mode}-${language}`,
      testIgnore: mode === 'hydrated' && language === 'en' ? [] : [/screenshots\.spec\.ts$/],
      use: {
        javaScriptEnabled: mode === 'hydrated',
        language,
        locale: language === 'fr' ? 'fr-FR' : 'en-US',
        extraHTTPHeaders: { 'Accept-Language': language },
      },
    })),
  ),
  // Two instances on one database, as behind a load balancer: the live
  // tests (live.spec.ts) put people on different instances. Playwright starts
  // them in order and waits for each URL, so only the first one migrates the
  // empty database and loads the demo data; the second finds both done.
  webServer: [
    // live.spec.ts reaches the first instance through a TCP proxy too.
    server(PORT, { GUICHET_DEMO_DATA: '1', GUICHET_TRUSTED_ORIGINS: `http://127.0.0.1:${PROXY_PORT}` }),
    server(SECOND_PORT, {}),
  ],
});

/** `guichet serve` on `port` against the e2e database. */
function server(port: number, extraEnv: Record<string, string>) {
  const url = `http://127.0.0.1:${port}`;
  return {
    // Runs in the repository root (cwd is relative to this file), so the
    // binary is ./target/debug/guichet and LEPTOS_SITE_ROOT is target/site.
    command: './target/debug/guichet serve',
    cwd: '..',
    url,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: {
      DATABASE_URL,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_OUTPUT_NAME: 'guichet',
      LEPTOS_SITE_PKG_DIR: 'pkg',
      GUICHET_PUBLIC_URL: url,
      // One key for both instances, as behind a load balancer: it seals
      // two-factor secrets (two_factor.spec.ts) and signs form errors.
      GUICHET_SECRET_KEY: 'guichet-e2e-secret-key',
      // Every test connects from 127.0.0.1: don't let the per-address
      // throttle of failed log-ins lock the later tests out.
      GUICHET_LOGIN_FAILURES_PER_ADDRESS: '1000',
      // Nor the request rate limits (every client is on loopback).
      GUICHET_RATE_LIMIT_EXEMPT_LOOPBACK: '1',
      // The tests' webhooks point at stand-ins on loopback (http://127.0.0.1:...).
      GUICHET_WEBHOOK_ALLOW_PRIVATE: '1',
      RUST_LOG: process.env.RUST_LOG || 'info,sqlx=warn,tower_sessions=warn',
      ...extraEnv,
    },
  };
}
