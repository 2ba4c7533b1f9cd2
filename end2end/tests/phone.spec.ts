// Guichet on a 390 px phone (issue 14, item 4): a compact header whose menu
// folds behind a button, ticket lists as cards of at most three lines, the
// ticket page's side panel under the thread, forms in one column and touch
// targets of at least 44 px. Each test runs hydrated and without JavaScript
// (the menu is a checkbox and its label: it opens in both).

import { expect, test, type Locator, type Page } from '@playwright/test';
import { DEMO, header, sameOrigin, t, visit } from './helpers';

const PHONE = { width: 390, height: 844 };
/** WCAG 2.5.5's target size, which the issue asks for. */
const TOUCH = 44;

test.use({ viewport: PHONE });

/** Logs `page` in through the API (the log-in form has its own tests). */
async function logInAs(page: Page, account: { login: string; password: string }) {
  const response = await page.request.post('/api/v1/auth/login', { data: account, headers: sameOrigin() });
  expect(response.status()).toBe(200);
}

async function height(locator: Locator): Promise<number> {
  const box = await locator.boundingBox();
  expect(box, 'a laid-out element').not.toBeNull();
  return box!.height;
}

/** Every visible control of `scope` that a finger aims at, with its height. */
async function touchTargets(scope: Locator): Promise<{ name: string; height: number }[]> {
  return scope
    .locator('button, .button, select, textarea, input:not([type=checkbox]):not([type=radio]):not([type=hidden])')
    .evaluateAll((elements) =>
      elements
        .filter((element) => (element as HTMLElement).offsetParent !== null)
        .map((element) => ({
          name: `${element.tagName.toLowerCase()} ${element.getAttribute('name') ?? element.textContent?.trim() ?? ''}`,
          height: element.getBoundingClientRect().height,
        })),
    );
}

test('the header folds its menu behind a button, which opens it with or without JavaScript', async ({ page }) => {
  await logInAs(page, DEMO.alice);
  await visit(page, '/tickets');
  const dashboard = header(page).getByRole('link', { name: t('header.dashboard'), exact: true });
  const menuButton = page.getByTestId('menu-button');

  // Folded: one row (it took ~210 px before), the links hidden.
  expect(await height(header(page))).toBeLessThanOrEqual(64);
  await expect(dashboard).toBeHidden();
  await expect(menuButton).toHaveText(t('header.menu'));
  expect(await height(menuButton)).toBeGreaterThanOrEqual(TOUCH);

  await menuButton.click();
  await expect(dashboard).toBeVisible();
  for (const link of await header(page).locator('.site-nav a').all()) {
    expect(await height(link), await link.textContent() ?? '').toBeGreaterThanOrEqual(TOUCH);
  }
  await expect(header(page).getByTestId('current-username')).toHaveText('alice');

  // A link followed lands folded again (a new page without the wasm, the
  // header's effect with it).
  await header(page).getByRole('link', { name: t('header.new_ticket'), exact: true }).click();
  await expect(page).toHaveURL('/tickets/new');
  await expect(page.locator('main h1')).toHaveText(t('new_ticket.title'));
  await expect(dashboard).toBeHidden();

  // On a desktop the menu is laid out inline, with no button.
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(menuButton).toBeHidden();
  await expect(dashboard).toBeVisible();
});

test('ticket lists are cards of at most three lines, with the people labelled', async ({ page }) => {
  // A ticket of Alice's, assigned to her: its card names two people.
  const login = await page.request.post('/api/v1/auth/login', { data: DEMO.alice, headers: sameOrigin() });
  expect(login.status()).toBe(200);
  const alice: number = (await login.json()).user.id;
  const created = await page.request.post('/api/v1/tickets', {
    data: { queue: 'support', category: 'other', subject: `On a phone ${Date.now()}`, description: 'A card.' },
    headers: sameOrigin(),
  });
  expect(created.status()).toBe(201);
  const reference: string = (await created.json()).ticket.reference;
  const assigned = await page.request.post(`/api/v1/tickets/${reference}/assign`, {
    data: { agent_id: alice },
    headers: sameOrigin(),
  });
  expect(assigned.status()).toBe(200);
  await visit(page, '/tickets?assignee=me');
  const rows = page.locator('table.tickets-table tbody tr');
  await expect(rows.first()).toBeVisible();
  await expect(page.locator('table.tickets-table thead')).toBeHidden();

  const count = Math.min(await rows.count(), 10);
  expect(count).toBeGreaterThan(0);
  for (let index = 0; index < count; index++) {
    const row = rows.nth(index);
    // Three lines: reference, status, priority and time; the subject; queue and people.
    expect(await height(row), `row ${index}`).toBeLessThanOrEqual(3 * TOUCH + 16);
    await expect(row.locator('td.subject a')).toBeVisible();
    expect(await height(row.locator('td.subject a'))).toBeGreaterThanOrEqual(TOUCH);
  }
  // No column headings on a card: the requester and the assignee say what
  // they are ("Unassigned" needs no label).
  const before = (cell: string) =>
    rows.first().locator(cell).evaluate((element) => getComputedStyle(element, '::before').content);
  expect(await before('td.requester')).toContain(t('ticket.requester'));
  expect(await before('td.assignee')).toContain(t('ticket.assignee'));
  // Nothing scrolls sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
});

test('the ticket page puts its side panel under the thread', async ({ page }) => {
  await logInAs(page, DEMO.alice);
  await visit(page, '/tickets/SUP-0001');
  const thread = await page.locator('section.conversation').boundingBox();
  const side = await page.locator('aside.ticket-side').boundingBox();
  expect(thread).not.toBeNull();
  expect(side).not.toBeNull();
  expect(side!.y).toBeGreaterThanOrEqual(thread!.y + thread!.height);
  expect(side!.width).toBeGreaterThan(PHONE.width - 60);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
  for (const target of await touchTargets(page.locator('main'))) {
    expect(target.height, target.name).toBeGreaterThanOrEqual(TOUCH);
  }
});

test('forms take one column, with touch targets of 44 px', async ({ page }) => {
  await visit(page, '/login');
  for (const target of await touchTargets(page.locator('main'))) {
    expect(target.height, target.name).toBeGreaterThanOrEqual(TOUCH);
  }

  await logInAs(page, DEMO.chloe);
  await visit(page, '/tickets/new');
  const form = page.locator('main form.stacked-form');
  const queue = await form.locator('select[name=queue]').boundingBox();
  const category = await form.locator('select[name=category]').boundingBox();
  expect(queue).not.toBeNull();
  expect(category).not.toBeNull();
  // Side by side on a desktop, one under the other here.
  expect(category!.x).toBe(queue!.x);
  expect(category!.y).toBeGreaterThan(queue!.y);
  for (const target of await touchTargets(page.locator('main'))) {
    expect(target.height, target.name).toBeGreaterThanOrEqual(TOUCH);
  }
});

test('the dashboard folds its filters behind a button, open when some are set', async ({ page }) => {
  await logInAs(page, DEMO.alice);
  await visit(page, '/tickets');
  const filters = page.locator('form.filters');
  const button = page.getByTestId('filters-button');
  // The list comes first: the filters wait behind their button.
  await expect(filters).toBeHidden();
  await expect(button).toHaveText(t('tickets.filters'));
  expect(await height(button)).toBeGreaterThanOrEqual(TOUCH);
  await expect(page.locator('table.tickets-table tbody tr').first()).toBeInViewport();
  await button.click();
  await expect(filters.locator('select[name=priority]')).toBeVisible();

  // A filtered list shows what filters it.
  await visit(page, '/tickets?priority=urgent');
  await expect(filters.locator('select[name=priority]')).toHaveValue('urgent');
  await expect(filters).toBeVisible();
});
