// Issue 20 in a real browser: pages of other origins cannot make changes with
// a logged-in person's cookie (a page of another site, and a page of the same
// site on another port), and every page loads with no Content-Security-Policy
// violation, for an admin and for a requester.

import { expect, test, type Browser, type Page } from '@playwright/test';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO, isHydrated, language, newUser, sameOrigin, visit } from './helpers';
import { FIRST_PORT } from './ports';

const GUICHET = `http://127.0.0.1:${FIRST_PORT}`;

test.beforeEach(() => {
  test.skip(!isHydrated(), 'the attacking pages and the CSP listener need JavaScript');
  // Nothing here reads the interface's words: one language is enough.
  test.skip(language() === 'fr', 'checks no text of the interface');
});

/** A browser logged in as a fresh requester with one open ticket. */
async function victimWithTicket(browser: Browser) {
  const context = await browser.newContext({ baseURL: GUICHET, javaScriptEnabled: true });
  const page = await context.newPage();
  const user = newUser('victim');
  const registered = await page.request.post('/api/v1/auth/register', { data: user, headers: sameOrigin() });
  expect(registered.status()).toBe(201);
  const loggedIn = await page.request.post('/api/v1/auth/login', {
    data: { login: user.username, password: user.password },
    headers: sameOrigin(),
  });
  expect(loggedIn.status()).toBe(200);
  const opened = await page.request.post('/api/v1/tickets', {
    headers: sameOrigin(),
    data: { queue: 'support', category: 'technical_issue', subject: `Forgery target ${Date.now()}`, description: 'x' },
  });
  expect(opened.status()).toBe(201);
  const { ticket } = await opened.json();
  return { page, ticket: ticket as { id: number; reference: string } };
}

/** What the victim's ticket and tokens look like, read through the API. */
async function state(page: Page, reference: string) {
  const detail = await page.request.get(`/api/v1/tickets/${reference}`);
  expect(detail.status()).toBe(200);
  const body = await detail.json();
  const tokens = await page.request.get('/api/v1/tokens');
  expect(tokens.status()).toBe(200);
  return {
    messages: body.messages.length as number,
    status: body.ticket.status as string,
    tokens: (await tokens.json()).tokens.length as number,
  };
}

/**
 * The attacker's page: on load it fires `fetch` posts (no-cors, with
 * credentials) at server functions and the API, then submits a plain form
 * that closes the ticket. Every request's answer is seen by Playwright.
 */
function attackerPage(reference: string, ticketId: number): string {
  const target = JSON.stringify(GUICHET);
  return `<!doctype html><html><body>
<form id="close" method="post" action="${GUICHET}/fn/change_status">
  <input name="key" value="${reference}"><input name="status" value="closed">
</form>
<script>
  const base = ${target};
  const send = (path, body, type) => fetch(base + path, {
    method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: type ? { 'Content-Type': type } : {}, body,
  }).catch(() => {});
  Promise.all([
    send('/fn/add_message', 'key=${reference}&body=forged+reply', 'application/x-www-form-urlencoded'),
    send('/fn/add_message', 'key=${reference}&body=forged+plain', 'text/plain'),
    send('/fn/create_api_token', 'name=stolen', 'application/x-www-form-urlencoded'),
    send('/api/v1/tickets/${ticketId}/messages', JSON.stringify({ body: 'forged api' }), 'text/plain'),
  ]).then(() => document.getElementById('close').submit());
</script></body></html>`;
}

/** Serves `html` on 127.0.0.1 at a free port; returns the server and its port. */
async function serve(html: () => string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end(html());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port };
}

for (const [label, host] of [
  ['another site (localhost)', 'localhost'],
  ['the same site on another port', '127.0.0.1'],
] as const) {
  test(`a page on ${label} cannot make changes with the cookie`, async ({ browser }) => {
    const { page, ticket } = await victimWithTicket(browser);
    const before = await state(page, ticket.reference);
    const { server, port } = await serve(() => attackerPage(ticket.reference, ticket.id));
    try {
      const attacks = ['/fn/add_message', '/fn/add_message', '/fn/create_api_token', `/api/v1/tickets/${ticket.id}/messages`, '/fn/change_status'];
      // Each path's answer, in order of arrival (add_message twice).
      const seen: { path: string; status: number }[] = [];
      page.on('response', (response) => {
        const path = new URL(response.url()).pathname;
        if (response.request().method() === 'POST' && attacks.includes(path)) {
          seen.push({ path, status: response.status() });
        }
      });
      await page.goto(`http://${host}:${port}/`);
      await expect.poll(() => seen.length).toBe(attacks.length);
      // The requests reached Guichet: with the same-site cookie they are refused
      // as cross-site (403); the other site's carry no cookie (SameSite=Lax)
      // and are refused just the same.
      for (const { path, status } of seen) {
        expect(status, path).toBe(403);
      }
      // The form post's answer is what the browser shows: the API's error.
      await expect(page.locator('body')).toContainText('"code":"forbidden"');
      expect(await state(page, ticket.reference)).toEqual(before);
    } finally {
      server.close();
      await page.context().close();
    }
  });
}

/** Collects CSP violations of `page`: reported events and console messages. */
async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.exposeFunction('reportCspViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { reportCspViolation: (text: string) => void }).reportCspViolation(
        `${event.violatedDirective} blocked ${event.blockedURI} (${event.sourceFile}:${event.lineNumber})`,
      );
    });
  });
  return violations;
}

for (const [who, account, paths] of [
  ['an admin', DEMO.admin, ['/', '/tickets', '/tickets/new', '/notifications', '/settings', '/admin/users', '/admin/catalog', '/admin/notifications']],
  ['a requester', DEMO.chloe, ['/', '/tickets', '/tickets/new', '/notifications', '/settings']],
  ['a visitor', null, ['/', '/login', '/register', '/no-such-page']],
] as const) {
  test(`every page loads with no CSP violation for ${who}`, async ({ browser }) => {
    const context = await browser.newContext({ baseURL: GUICHET, javaScriptEnabled: true });
    const page = await context.newPage();
    const violations = await watchCsp(page);
    if (account) {
      const loggedIn = await page.request.post('/api/v1/auth/login', { data: account, headers: sameOrigin() });
      expect(loggedIn.status()).toBe(200);
    }
    const all: string[] = [...paths];
    if (account) {
      // And a ticket page (the demo data gives both people tickets).
      const listed = await page.request.get('/api/v1/tickets?limit=1');
      expect(listed.status()).toBe(200);
      const [first] = (await listed.json()).tickets;
      expect(first, 'a demo ticket').toBeTruthy();
      all.push(`/tickets/${first.reference}`);
    }
    try {
      for (const path of all) {
        const response = await visit(page, path);
        const policy = response.headers()['content-security-policy'];
        expect(policy, path).toContain("'wasm-unsafe-eval'");
        expect(policy, path).toContain("frame-ancestors 'none'");
        // The page hydrated: its scripts and wasm ran under the policy.
        await expect(page.locator('button.theme-toggle[data-theme-now]')).toBeVisible();
        expect(violations, path).toEqual([]);
      }
    } finally {
      await context.close();
    }
  });
}
