// Live updates in the browser: ticket pages and the dashboard update in place
// across two server instances, a cut connection catches up exactly once after
// it comes back, typing and presence show on the ticket page, and activity on
// my tickets raises a toast and the tab title's unread count.
//
// These need the wasm: they are skipped in the no-js project (without
// JavaScript the pages are up to date on every reload, which the other specs
// cover). Each test uses fresh accounts, so tests running in parallel never
// raise toasts for each other. No sleeps: every wait is on something the page
// or the proxy shows.

import {
  expect,
  request as playwrightRequest,
  test,
  type APIRequestContext,
  type Browser,
  type Page,
} from '@playwright/test';
import * as net from 'node:net';
import { DEMO, isHydrated, languageContext, newUser, sameOrigin, t, visit } from './helpers';
import { FIRST_PORT, PROXY_PORT, SECOND_PORT } from './ports';

const FIRST = `http://127.0.0.1:${FIRST_PORT}`;
/** The second instance on the same database (see playwright.config.ts). */
const SECOND = `http://127.0.0.1:${SECOND_PORT}`;

interface Account {
  id: number;
  username: string;
  login: string;
  password: string;
}

interface TicketInfo {
  id: number;
  reference: string;
}

test.beforeEach(() => {
  test.skip(!isHydrated(), 'live updates need the wasm');
});

/** An API client (cookie session) on `baseURL`, logged in as `account`. */
async function api(account: { login: string; password: string }, baseURL = FIRST): Promise<APIRequestContext> {
  const context = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: sameOrigin(baseURL) });
  const response = await context.post('/api/v1/auth/login', {
    data: { login: account.login, password: account.password },
  });
  expect(response.status(), `log-in of ${account.login}`).toBe(200);
  return context;
}

/** Registers a fresh account; an admin gives it `role` when it is not requester. */
async function freshAccount(prefix: string, role: 'requester' | 'agent' = 'requester'): Promise<Account> {
  const user = newUser(prefix);
  const anonymous = await playwrightRequest.newContext({ baseURL: FIRST, extraHTTPHeaders: sameOrigin(FIRST) });
  const registered = await anonymous.post('/api/v1/auth/register', { data: user });
  expect(registered.status()).toBe(201);
  const { user: created } = await registered.json();
  await anonymous.dispose();
  if (role !== 'requester') {
    const admin = await api(DEMO.admin);
    const changed = await admin.put(`/api/v1/users/${created.id}/role`, { data: { role } });
    expect(changed.status()).toBe(200);
    await admin.dispose();
  }
  return { id: created.id, username: user.username, login: user.username, password: user.password };
}

async function openTicket(requester: APIRequestContext, subject: string): Promise<TicketInfo> {
  const response = await requester.post('/api/v1/tickets', {
    data: {
      queue: 'support',
      category: 'technical_issue',
      priority: 'medium',
      subject,
      description: 'Opened by the live tests.',
    },
  });
  expect(response.status()).toBe(201);
  const { ticket } = await response.json();
  return { id: ticket.id, reference: ticket.reference };
}

async function reply(client: APIRequestContext, ticket: TicketInfo, body: string): Promise<void> {
  const response = await client.post(`/api/v1/tickets/${ticket.id}/messages`, { data: { body } });
  expect(response.status()).toBe(201);
}

/** A browser (own cookies) logged in as `account`, talking to `baseURL`. */
async function browserAs(browser: Browser, account: Account, baseURL: string, viewport?: { width: number; height: number }) {
  const context = await browser.newContext({
    baseURL,
    javaScriptEnabled: true,
    ...languageContext(),
    ...(viewport ? { viewport } : {}),
  });
  const page = await context.newPage();
  const response = await page.request.post('/api/v1/auth/login', {
    data: { login: account.login, password: account.password },
    headers: sameOrigin(baseURL),
  });
  expect(response.status()).toBe(200);
  return page;
}

/** The header's live pill: `data-live-state` is live, connecting or reconnecting. */
function liveState(page: Page) {
  return page.locator('header.site-header .live-state');
}

/** Waits until the page's live stream has said `ready`. */
async function waitForLive(page: Page): Promise<void> {
  await expect(liveState(page)).toHaveAttribute('data-live-state', 'live', { timeout: 20_000 });
  await expect(liveState(page)).toBeHidden();
}

/** Marks the document; `expectNoReload` fails if the page was loaded again since. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { guichetMark: boolean }).guichetMark = true));
}

async function expectNoReload(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { guichetMark?: boolean }).guichetMark)).toBe(true);
}

function messageBodies(page: Page) {
  return page.locator('.conversation .message.reply .message-body');
}

/**
 * A TCP proxy in front of a server instance that the test can cut for real:
 * `cut` destroys every open connection and stops listening (new connections
 * are refused), `restore` listens on the same port again.
 */
class CuttableProxy {
  private server: net.Server | undefined;
  private sockets = new Set<net.Socket>();
  /** A fixed port: the first instance trusts this origin (playwright.config.ts). */
  port = PROXY_PORT;

  constructor(private readonly targetPort: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      this.sockets.add(client);
      this.sockets.add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  async restore(): Promise<void> {
    await this.start();
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}

test('replies and status changes reach the other person across two server instances', async ({ browser }) => {
  const requester = await freshAccount('livereq');
  const agent = await freshAccount('liveagent', 'agent');
  const requesterApi = await api(requester);
  const ticket = await openTicket(requesterApi, `Live across instances ${Date.now()}`);

  // The requester talks to the first instance, the agent to the second.
  const requesterPage = await browserAs(browser, requester, FIRST);
  const agentPage = await browserAs(browser, agent, SECOND);
  await visit(requesterPage, `/tickets/${ticket.reference}`);
  await visit(agentPage, `/tickets/${ticket.reference}`);
  await waitForLive(requesterPage);
  await waitForLive(agentPage);
  await markDocument(requesterPage);
  await markDocument(agentPage);

  const agentForm = agentPage.locator('form.reply-form');
  await agentForm.locator('textarea[name=body]').fill('Agent here: which VPN client do you use?');
  await agentForm.getByRole('button', { name: t('ticket.send_reply') }).click();
  await expect(messageBodies(requesterPage)).toHaveText(['Agent here: which VPN client do you use?']);

  const requesterForm = requesterPage.locator('form.reply-form');
  await requesterForm.locator('textarea[name=body]').fill('WireGuard, version 1.0.');
  await requesterForm.getByRole('button', { name: t('ticket.send_reply') }).click();
  await expect(messageBodies(agentPage)).toHaveText([
    'Agent here: which VPN client do you use?',
    'WireGuard, version 1.0.',
  ]);

  await agentPage.locator('form.control-form select[name=status]').selectOption('pending');
  await agentPage.getByRole('button', { name: t('ticket.set_status') }).click();
  await expect(requesterPage.locator('article.ticket')).toHaveAttribute('data-status', 'pending');
  await expect(requesterPage.locator('.ticket-heading .badges [data-status]')).toHaveAttribute('data-status', 'pending');
  await expect(requesterPage.locator('.timeline li[data-action=status_changed]')).toHaveCount(1);

  await expectNoReload(requesterPage);
  await expectNoReload(agentPage);
  await requesterApi.dispose();
  await requesterPage.context().close();
  await agentPage.context().close();
});

test('a cut connection shows "reconnecting", then catches up on what it missed exactly once', async ({ browser }) => {
  const requester = await freshAccount('cutreq');
  const agent = await freshAccount('cutagent', 'agent');
  const requesterApi = await api(requester);
  const agentApi = await api(agent, SECOND);
  const ticket = await openTicket(requesterApi, `Cut connection ${Date.now()}`);

  const proxy = new CuttableProxy(FIRST_PORT);
  await proxy.start();
  try {
    const page = await browserAs(browser, requester, proxy.url);
    await visit(page, `/tickets/${ticket.reference}`);
    await waitForLive(page);
    await markDocument(page);

    await proxy.cut();
    await expect(liveState(page)).toHaveAttribute('data-live-state', 'reconnecting');
    await expect(liveState(page)).toBeVisible();
    await expect(liveState(page)).toHaveText(t('live.reconnecting'));

    const bodies = ['Missed one: restart the router.', 'Missed two: then the laptop.', 'Missed three: still down?'];
    for (const body of bodies) {
      await reply(agentApi, ticket, body);
    }
    // Nothing can arrive while the connection is cut.
    await expect(messageBodies(page)).toHaveCount(0);
    await expect(liveState(page)).toHaveAttribute('data-live-state', 'reconnecting');

    await proxy.restore();
    // The backoff may have grown to a few seconds while the proxy refused.
    await expect(liveState(page)).toHaveAttribute('data-live-state', 'live', { timeout: 45_000 });
    await expect(liveState(page)).toBeHidden();
    await expect(messageBodies(page)).toHaveText(bodies, { timeout: 15_000 });
    await expect(page.locator('.timeline li[data-action=replied]')).toHaveCount(3);
    for (const body of bodies) {
      await expect(page.getByText(body, { exact: true })).toHaveCount(1);
    }
    await expectNoReload(page);
    await page.context().close();
  } finally {
    await proxy.stop();
    await requesterApi.dispose();
    await agentApi.dispose();
  }
});

test('typing and presence show on the ticket page, and typing goes away when it stops', async ({ browser }) => {
  const requester = await freshAccount('typereq');
  const agent = await freshAccount('typeagent', 'agent');
  const colleague = await freshAccount('typecolle', 'agent');
  const requesterApi = await api(requester);
  const ticket = await openTicket(requesterApi, `Typing ${Date.now()}`);

  // The agent (second instance) opens the ticket first, then the requester (first instance).
  const agentPage = await browserAs(browser, agent, SECOND);
  const requesterPage = await browserAs(browser, requester, FIRST);
  await visit(agentPage, `/tickets/${ticket.reference}`);
  await waitForLive(agentPage);
  await visit(requesterPage, `/tickets/${ticket.reference}`);
  await waitForLive(requesterPage);

  // Staff see who else is on a ticket; requesters are not told who is viewing.
  await expect(agentPage.getByTestId('presence')).toHaveText(t('live.also_here', { names: requester.username }));

  const indicator = requesterPage.getByTestId('typing-indicator');
  await expect(indicator).toHaveCount(0);
  const textarea = agentPage.locator('form.reply-form textarea[name=body]');
  await textarea.pressSequentially('Let me check', { delay: 30 });
  await expect(indicator).toHaveText(t('live.replying', { name: agent.username }));
  await expect(requesterPage.getByTestId('presence')).toHaveCount(0);
  // No more keys: after a few idle seconds the others see typing stop.
  await expect(indicator).toHaveCount(0, { timeout: 15_000 });
  await expect(textarea).toHaveValue('Let me check');

  // A colleague arrives: the agent already there answers, so both know at once.
  const colleaguePage = await browserAs(browser, colleague, FIRST);
  await visit(colleaguePage, `/tickets/${ticket.reference}`);
  await waitForLive(colleaguePage);
  await expect(colleaguePage.getByTestId('presence')).toContainText(agent.username);
  await expect(agentPage.getByTestId('presence')).toContainText(colleague.username);

  // An internal note being written shows to staff only.
  await agentPage.getByTestId('note-toggle').check();
  await textarea.pressSequentially(' internally', { delay: 30 });
  const colleagueIndicator = colleaguePage.getByTestId('typing-indicator');
  await expect(colleagueIndicator).toHaveText(t('live.writing_note', { name: agent.username }));
  await expect(indicator).toHaveCount(0);
  // Emptying the text stops typing at once.
  await textarea.fill('');
  await expect(colleagueIndicator).toHaveCount(0);

  // Leaving the page removes the agent from the others' presence.
  await visit(agentPage, '/tickets');
  await expect(colleaguePage.getByTestId('presence')).not.toContainText(agent.username);

  await requesterApi.dispose();
  for (const page of [requesterPage, agentPage, colleaguePage]) await page.context().close();
});

test('the dashboard gets new rows in place and the tab title counts unread tickets', async ({ browser }) => {
  const agent = await freshAccount('dashagent', 'agent');
  const requester = await freshAccount('dashreq');
  const requesterApi = await api(requester);
  const agentApi = await api(agent, SECOND);

  // A short window, so that the dashboard scrolls.
  const page = await browserAs(browser, agent, FIRST, { width: 1280, height: 480 });
  await visit(page, '/tickets');
  await expect(page.locator('main h1')).toHaveText(t('tickets.dashboard'));
  await waitForLive(page);
  await markDocument(page);
  const rows = page.locator('table.tickets-table tbody tr');
  await expect(rows.first()).toBeVisible();
  // The oldest row is demo data no test changes.
  await rows.last().evaluate((row) => row.setAttribute('data-test-kept', 'yes'));

  // Half-typed search, not submitted, keeps the focus; the window scrolled to the filters.
  const search = page.locator('form.filters input[name=q]');
  await search.fill('half typed');
  const before = await page.evaluate(() => {
    const filters = document.querySelector('form.filters')!;
    window.scrollTo(0, filters.getBoundingClientRect().top + window.scrollY);
    return window.scrollY;
  });
  expect(before).toBeGreaterThan(0);
  await expect(search).toBeFocused();

  const subject = `Dashboard live ${Date.now()}`;
  const ticket = await openTicket(requesterApi, subject);
  await expect(rows.filter({ hasText: subject })).toHaveCount(1);
  await expect(search).toHaveValue('half typed');
  await expect(search).toBeFocused();
  expect(await page.evaluate(() => window.scrollY)).toBe(before);
  // Rows that did not change were not rebuilt.
  await expect(page.locator('tr[data-test-kept=yes]')).toHaveCount(1);
  await expect(page).toHaveTitle(`${t('tickets.dashboard')} · Guichet`);

  // The agent takes the ticket elsewhere (own action: no toast), then the
  // requester replies: a toast, and "(1) " in the tab title.
  const assigned = await agentApi.post(`/api/v1/tickets/${ticket.id}/assign`, { data: { agent_id: agent.id } });
  expect(assigned.status()).toBe(200);
  await reply(requesterApi, ticket, 'Any news?');
  const toast = page.getByTestId('toast');
  await expect(toast.getByRole('link')).toHaveText(t('toast.replied', { reference: ticket.reference, actor: requester.username }));
  await expect(toast).toHaveAttribute('role', 'status');
  await expect(page).toHaveTitle(`(1) ${t('tickets.dashboard')} · Guichet`);
  // The header's count says what it counts, to screen readers and in its tooltip.
  const said = t('live.unread_activity', { count: 1, references: ticket.reference });
  await expect(page.getByTestId('unread-count')).toHaveAttribute('title', said);
  await expect(page.getByTestId('unread-count').locator('.visually-hidden')).toHaveText(said);
  await expect(search).toHaveValue('half typed');
  await expectNoReload(page);

  // Opening the ticket reads it: the count goes.
  await toast.getByRole('link').click();
  await expect(page.locator('article.ticket')).toHaveAttribute('data-reference', ticket.reference);
  await expect(page).toHaveTitle(`${ticket.reference} ${subject} · Guichet`);
  await expect(page.getByTestId('unread-count')).toHaveCount(0);

  await requesterApi.dispose();
  await agentApi.dispose();
  await page.context().close();
});
