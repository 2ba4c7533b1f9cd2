// The statistics dashboard (issue 15, item 6): its KPI cards show the API's
// numbers, a ticket created in another browser context moves the "created"
// count without a reload (hydrated), and without JavaScript the page and its
// filters work (a GET form). Each test uses a queue of its own, so tickets
// other tests create at the same time never move its numbers.

import { expect, request as playwrightRequest, test, type APIRequestContext, type Page } from '@playwright/test';
import { DEMO, isHydrated, logIn, sameOrigin, t, visit } from './helpers';
import { FIRST_PORT } from './ports';

const FIRST = `http://127.0.0.1:${FIRST_PORT}`;

/** An API client (cookie session) logged in as `account`. */
async function api(account: { login: string; password: string }): Promise<APIRequestContext> {
  const context = await playwrightRequest.newContext({ baseURL: FIRST, extraHTTPHeaders: sameOrigin(FIRST) });
  const response = await context.post('/api/v1/auth/login', { data: account });
  expect(response.status(), `log-in of ${account.login}`).toBe(200);
  return context;
}

/** A queue of this test's own (every category offered); returns its slug and name. */
async function freshQueue(admin: APIRequestContext): Promise<{ slug: string; name: string }> {
  const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
  // Prefixes are 2 to 8 capital letters: the stamp's digits as letters.
  const prefix = [...stamp.slice(-8)].map((digit) => String.fromCharCode(65 + Number(digit))).join('');
  const queue = { slug: `stats${stamp}`, name: `Stats ${stamp}` };
  const created = await admin.post('/api/v1/queues', {
    data: { ...queue, prefix, color: '#3366aa', open_ticket_limit: null, active: true },
  });
  expect(created.status(), await created.text()).toBe(201);
  return queue;
}

/** Opens a ticket in `queue` as `client`; returns its id. */
async function openTicket(client: APIRequestContext, queue: string, subject: string): Promise<number> {
  const response = await client.post('/api/v1/tickets', {
    data: { queue, category: 'general_inquiry', priority: 'high', subject, description: `About ${subject}.` },
  });
  expect(response.status(), await response.text()).toBe(201);
  return (await response.json()).ticket.id;
}

/** A KPI card of the dashboard. */
function card(page: Page, key: string) {
  return page.locator(`.kpi-card[data-kpi="${key}"]`);
}

/** The API's raw figure as the card's `data-value` writes it (`""` for `null`). */
function raw(value: number | null): string {
  return value === null ? '' : String(value);
}

test('the dashboard shows the numbers of the API', async ({ page }) => {
  const admin = await api(DEMO.admin);
  const requester = await api(DEMO.chloe);
  const agent = await api(DEMO.alice);
  const queue = await freshQueue(admin);
  const first = await openTicket(requester, queue.slug, 'Stats one');
  await openTicket(requester, queue.slug, 'Stats two');
  const reply = await agent.post(`/api/v1/tickets/${first}/messages`, { data: { body: 'On it.' } });
  expect(reply.status()).toBe(201);
  const resolved = await agent.put(`/api/v1/tickets/${first}/status`, { data: { status: 'resolved' } });
  expect(resolved.status()).toBe(200);

  await logIn(page, DEMO.admin.login, DEMO.admin.password);
  const response = await visit(page, `/admin/stats?period=30d&queue=${queue.slug}`);
  expect(response.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1, name: t('stats.title') })).toBeVisible();
  const stats = await (await admin.get(`/api/v1/tickets/stats?period=30d&queue=${queue.slug}`)).json();
  expect(stats.created).toBe(2);
  expect(stats.resolved).toBe(1);
  for (const [key, value] of [
    ['open_now', stats.open_now],
    ['created', stats.created],
    ['resolved', stats.resolved],
    ['resolution_rate_pct', stats.resolution_rate_pct],
    ['first_response_seconds_median', stats.first_response_seconds_median],
    ['resolution_seconds_median', stats.resolution_seconds_median],
    ['sla_breached', stats.sla.breached],
    ['csat_average', stats.csat.average],
    ['escalations', stats.escalations.manual + stats.escalations.automatic],
  ] as const) {
    await expect(card(page, key), key).toHaveAttribute('data-value', raw(value));
  }
  await expect(card(page, 'created').locator('.kpi-value')).toHaveText('2');
  // Every chart is an SVG with its numbers as a table.
  for (const chart of ['daily', 'csat', 'first-response', 'queue', 'priority']) {
    const figure = page.locator(`figure[data-chart="${chart}"]`);
    await expect(figure.locator('svg')).toHaveCount(1);
    await expect(figure.locator('table')).toHaveCount(1);
  }
  await expect(page.locator('figure[data-chart="queue"] tbody th')).toHaveText([queue.name]);
  // The CSV link asks for the same period and queue.
  await expect(page.getByTestId('stats-csv')).toHaveAttribute(
    'href',
    `/api/v1/tickets/stats?period=30d&queue=${queue.slug}&format=csv`,
  );
  const csv = await page.request.get(`/api/v1/tickets/stats?period=30d&queue=${queue.slug}&format=csv`);
  expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
  expect(await csv.text()).toContain('summary,created,2,,,');
});

test('a ticket created elsewhere moves the "created" count without a reload', async ({ page }) => {
  test.skip(!isHydrated(), 'live updates need the wasm');
  const admin = await api(DEMO.admin);
  const requester = await api(DEMO.chloe);
  const queue = await freshQueue(admin);
  await openTicket(requester, queue.slug, 'Before');

  await logIn(page, DEMO.alice.login, DEMO.alice.password);
  await visit(page, `/admin/stats?period=7d&queue=${queue.slug}`);
  await expect(card(page, 'created')).toHaveAttribute('data-value', '1');
  // A marker on the document: a reload would drop it.
  await page.evaluate(() => ((window as unknown as { statsMarker: boolean }).statsMarker = true));

  await openTicket(requester, queue.slug, 'After');
  await expect(card(page, 'created')).toHaveAttribute('data-value', '2');
  await expect(card(page, 'open_now')).toHaveAttribute('data-value', '2');
  expect(await page.evaluate(() => (window as unknown as { statsMarker?: boolean }).statsMarker)).toBe(true);
  // The filters are still the address's.
  await expect(page).toHaveURL(new RegExp(`queue=${queue.slug}`));
  await expect(page.locator('select[name=queue]')).toHaveValue(queue.slug);
});

test('the filters work with and without JavaScript', async ({ page }) => {
  const admin = await api(DEMO.admin);
  const requester = await api(DEMO.chloe);
  const queue = await freshQueue(admin);
  await openTicket(requester, queue.slug, 'Filtered');

  await logIn(page, DEMO.admin.login, DEMO.admin.password);
  await visit(page, '/admin/stats');
  await page.locator('select[name=period]').selectOption('30d');
  await page.locator('select[name=queue]').selectOption(queue.slug);
  await page.getByRole('button', { name: t('stats.apply') }).click();
  // (The hydrated form's navigation adds an empty `&=`, as on /tickets before its clean-up.)
  await expect(page).toHaveURL(new RegExp(`/admin/stats\\?period=30d&queue=${queue.slug}(&=)?$`));
  await expect(card(page, 'created')).toHaveAttribute('data-value', '1');
  await expect(page.locator('select[name=period]')).toHaveValue('30d');
  await expect(page.locator('select[name=queue]')).toHaveValue(queue.slug);
});

test('requesters are refused the dashboard', async ({ page }) => {
  await logIn(page, DEMO.chloe.login, DEMO.chloe.password);
  const response = await visit(page, '/admin/stats');
  expect(response.status()).toBe(403);
  await expect(page.locator('.kpi-card')).toHaveCount(0);
});
