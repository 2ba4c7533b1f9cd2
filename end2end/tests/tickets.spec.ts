// Tickets in the browser: draft autosave, the requester/agent workflow from
// creation to closed with its timeline, and the list filters. Each test runs
// hydrated and without JavaScript unless it needs the wasm.

import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  DEMO,
  confirmAction,
  isHydrated,
  languageContext,
  newUser,
  openConfirmation,
  sameOrigin,
  t,
  visit,
  waitForHydration,
} from './helpers';

/** Registers a fresh requester through the JSON API and logs `page` in as them. */
async function freshRequester(page: Page): Promise<string> {
  const user = newUser('req');
  const registered = await page.request.post('/api/v1/auth/register', { data: user, headers: sameOrigin() });
  expect(registered.status()).toBe(201);
  const loggedIn = await page.request.post('/api/v1/auth/login', {
    data: { login: user.username, password: user.password },
    headers: sameOrigin(),
  });
  expect(loggedIn.status()).toBe(200);
  return user.username;
}

/** A second browser (another person) with the same settings as this project. */
async function secondBrowser(browser: Browser, baseURL: string | undefined) {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: isHydrated(), ...languageContext() });
  return context.newPage();
}

/** Logs `page` in through the API (the log-in form has its own tests). */
async function logInAs(page: Page, account: { login: string; password: string }) {
  const response = await page.request.post('/api/v1/auth/login', { data: account, headers: sameOrigin() });
  expect(response.status()).toBe(200);
}

/** Opens a ticket through the web form; returns its reference. */
async function openTicket(page: Page, subject: string, description: string): Promise<string> {
  await visit(page, '/tickets/new');
  const form = page.locator('main form');
  await form.locator('select[name=queue]').selectOption('support');
  await form.locator('select[name=category]').selectOption('technical_issue');
  await form.locator('input[name=subject]').fill(subject);
  await form.locator('textarea[name=description]').fill(description);
  await form.getByRole('button', { name: t('new_ticket.submit') }).click();
  await expect(page.locator('article.ticket h1')).toHaveText(subject);
  await waitForHydration(page);
  return (await page.locator('article.ticket').getAttribute('data-reference'))!;
}

function status(page: Page) {
  return page.locator('article.ticket');
}

test("a requester's draft survives a reload and is cleared by creating the ticket", async ({ page }) => {
  test.skip(!isHydrated(), 'autosave needs the wasm');
  await freshRequester(page);
  await visit(page, '/tickets/new');
  const form = page.locator('main form');
  const subject = `Draft ${Date.now()}`;
  await form.locator('input[name=subject]').fill(subject);
  await form.locator('textarea[name=description]').fill('Typed before a crash, line one\nline two');
  await expect(page.locator('.draft-status')).toHaveText(t('draft.saved'));

  await page.reload();
  await waitForHydration(page);
  await expect(form.locator('input[name=subject]')).toHaveValue(subject);
  await expect(form.locator('textarea[name=description]')).toHaveValue('Typed before a crash, line one\nline two');

  await form.getByRole('button', { name: t('new_ticket.submit') }).click();
  await expect(page.locator('article.ticket h1')).toHaveText(subject);
  await visit(page, '/tickets/new');
  await expect(page.locator('main form input[name=subject]')).toHaveValue('');
});

test('a requester and an agent carry one ticket from creation to closed', async ({ page, browser, baseURL }) => {
  await freshRequester(page);
  const subject = `Printer on fire ${Date.now()}`;
  const reference = await openTicket(page, subject, 'Smoke comes out of the office printer.');
  await expect(status(page)).toHaveAttribute('data-status', 'open');
  // The category by its name, not its slug (issue 14).
  await expect(page.locator('.ticket-side dd.category')).toHaveText('Technical issue');
  await expect(page.locator('.ticket-heading .badges')).toContainText('Technical issue');
  await expect(page.locator('article.ticket')).not.toContainText('technical_issue');
  // The queue by its name, with the colour its admins chose.
  const queue = page.locator('.ticket-side dd.queue .queue-badge');
  await expect(queue).toHaveText('Support');
  await expect(queue.locator('.swatch')).toHaveCSS('background-color', 'rgb(88, 101, 242)');

  const agent = await secondBrowser(browser, baseURL);
  await logInAs(agent, DEMO.alice);
  await visit(agent, `/tickets/${reference}`);
  await agent.getByRole('button', { name: t('ticket.take') }).click();
  await expect(agent.locator('dd.assignee')).toHaveText('alice');

  const agentForm = agent.locator('form.reply-form');
  await agentForm.locator('textarea[name=body]').fill('We are on it: unplug the printer.');
  await agentForm.getByRole('button', { name: t('ticket.send_reply') }).click();
  await expect(agent.locator('.message.reply .message-body')).toHaveText(['We are on it: unplug the printer.']);

  await agent.locator('form.reply-form textarea[name=body]').fill('Secret: third fire this month.');
  await agent.locator('form.reply-form').getByRole('button', { name: t('ticket.add_note') }).click();
  await expect(agent.locator('.message.internal-note .message-body')).toHaveText(['Secret: third fire this month.']);

  await agent.locator('form.control-form select[name=status]').selectOption('pending');
  await agent.getByRole('button', { name: t('ticket.set_status') }).click();
  await expect(status(agent)).toHaveAttribute('data-status', 'pending');

  // The requester sees the reply, never the internal note, and answering reopens the ticket.
  await visit(page, `/tickets/${reference}`);
  await expect(status(page)).toHaveAttribute('data-status', 'pending');
  await expect(page.locator('.message.reply .message-body')).toHaveText(['We are on it: unplug the printer.']);
  await expect(page.getByText('Secret: third fire this month.')).toHaveCount(0);
  await page.locator('form.reply-form textarea[name=body]').fill('Unplugged, the smoke stopped.');
  await page.locator('form.reply-form').getByRole('button', { name: t('ticket.send_reply') }).click();
  await expect(status(page)).toHaveAttribute('data-status', 'open');

  await visit(agent, `/tickets/${reference}`);
  await agent.locator('form.control-form select[name=status]').selectOption('resolved');
  await agent.getByRole('button', { name: t('ticket.set_status') }).click();
  await expect(status(agent)).toHaveAttribute('data-status', 'resolved');

  // Closing asks first (issue 14); saying no changes nothing.
  await visit(page, `/tickets/${reference}`);
  const controls = page.locator('.controls');
  const question = await openConfirmation(page, controls, t('ticket.close'));
  await expect(question).toContainText(t('ticket.close_question', { reference }));
  if (isHydrated()) {
    await question.getByRole('button', { name: t('common.cancel'), exact: true }).click();
    await expect(question).toBeHidden();
  }
  await expect(status(page)).toHaveAttribute('data-status', 'resolved');
  await confirmAction(page, controls, t('ticket.close'), t('ticket.close_confirm'));
  await expect(status(page)).toHaveAttribute('data-status', 'closed');

  // The agent's timeline shows every step, in order.
  await visit(agent, `/tickets/${reference}`);
  await expect(agent.locator('.timeline li')).toHaveCount(9);
  const actions = await agent.locator('.timeline li').evaluateAll((items) =>
    items.map((item) => item.getAttribute('data-action')),
  );
  expect(actions).toEqual([
    'created',
    'assigned',
    'replied',
    'note_added',
    'status_changed',
    'replied',
    'status_changed',
    'status_changed',
    'status_changed',
  ]);
  await expect(agent.locator('.timeline li').last()).toContainText(t('timeline.status_changed', { from: t('status.resolved'), to: t('status.closed') }));
  await agent.context().close();
});

test('sending empties the box, and one form sent twice makes one reply', async ({ page }) => {
  // Issue 14: the text used to stay in the box after "Send reply", and a
  // second click sent it again.
  await freshRequester(page);
  const reference = await openTicket(page, `Lost parcel ${Date.now()}`, 'It never came.');
  const form = page.locator('form.reply-form');
  const box = form.locator('textarea[name=body]');
  const replies = page.locator('.message.reply .message-body');
  await box.fill('Any news on my parcel?');
  // What is typed is plain text, not the bold of its label.
  await expect(box).toHaveCSS('font-weight', '400');
  if (isHydrated()) await expect(form.locator('.draft-status')).toHaveAttribute('data-state', 'saved');
  const submission = await form.locator('input[name=submission]').inputValue();
  expect(submission).toMatch(/^[0-9a-f]{32}$/);
  await form.getByRole('button', { name: t('ticket.send_reply') }).click();
  await expect(replies).toHaveText(['Any news on my parcel?']);
  await expect(box).toHaveValue('');
  // The form shown now is a new submission.
  await expect(form.locator('input[name=submission]')).not.toHaveValue(submission);

  // The same submission once more (a retry after a timeout): still one reply.
  const again = await page.request.post('/fn/add_message', {
    form: { key: reference, body: 'Any news on my parcel?', kind: 'reply', submission },
    headers: { ...sameOrigin(), Accept: 'application/json' },
  });
  expect(again.status()).toBe(200);
  // A double click on Send: one reply too.
  await box.fill('It is urgent.');
  await form.getByRole('button', { name: t('ticket.send_reply') }).dblclick();
  await expect(replies).toHaveText(['Any news on my parcel?', 'It is urgent.']);
  await expect(box).toHaveValue('');

  // Reloaded: the same two replies, and no draft left in the box.
  await visit(page, `/tickets/${reference}`);
  await expect(replies).toHaveText(['Any news on my parcel?', 'It is urgent.']);
  await expect(box).toHaveValue('');
});

test('dashboard filters live in the URL', async ({ page }) => {
  await logInAs(page, DEMO.alice);
  await visit(page, '/tickets');
  await expect(page.locator('main h1')).toHaveText(t('tickets.dashboard'));
  const filters = page.locator('form.filters');
  await filters.locator('input[name=status][value=open]').check();
  await filters.locator('select[name=priority]').selectOption('urgent');
  await filters.getByRole('button', { name: t('tickets.apply') }).click();
  await expect(page).toHaveURL(/priority=urgent/);
  await expect(page).toHaveURL(/status=open/);
  // Only the filters that are set: no empty parameter, no stray `&=` (issue 14).
  await expect(page).not.toHaveURL(/[?&][^=&]*=(&|$)/);
  const rows = page.locator('table.tickets-table tbody tr');
  const invoice = rows.filter({ hasText: 'Double charge on invoice 2026-114' });
  await expect(invoice).toHaveCount(1);
  await expect(rows.filter({ hasText: 'Bot crashes on /play' })).toHaveCount(0);
  // Each row names its queue (issue 14), not its slug.
  await expect(invoice.locator('.queue-badge .swatch')).toHaveCount(1);
  await expect(invoice.locator('.queue-badge')).not.toHaveText(/^[a-z_]+$/);
  for (const badge of await rows.locator('[data-priority]').all()) {
    await expect(badge).toHaveAttribute('data-priority', 'urgent');
  }
  // The filters survive a reload: they are in the URL.
  await page.reload();
  await waitForHydration(page);
  await expect(page.locator('form.filters select[name=priority]')).toHaveValue('urgent');
  await expect(rows.filter({ hasText: 'Double charge on invoice 2026-114' })).toHaveCount(1);

  // Accent-insensitive search with a prefix on the last word.
  await visit(page, '/tickets');
  await page.locator('form.filters input[name=q]').fill('paiement refu');
  await page.locator('form.filters').getByRole('button', { name: t('tickets.apply') }).click();
  await expect(page).toHaveURL(/q=paiement/);
  await expect(page).not.toHaveURL(/[?&][^=&]*=(&|$)/);
  await expect(rows.filter({ hasText: 'Paiement refusé pour ma commande' })).toHaveCount(1);
  await expect(rows).toHaveCount(1);

  // Back restores the previous filters.
  await page.goBack();
  await expect(page).not.toHaveURL(/q=/);
});

test("a requester's list shows only their tickets and someone else's ticket is not found", async ({ page }) => {
  await freshRequester(page);
  const subject = `Mine only ${Date.now()}`;
  await openTicket(page, subject, 'Nobody else should see this.');
  await visit(page, '/tickets');
  await expect(page.locator('main h1')).toHaveText(t('tickets.mine'));
  await expect(page.locator('table.tickets-table tbody tr')).toHaveCount(1);
  // SUP-0001 belongs to the demo requester chloe.
  const response = await page.goto('/tickets/SUP-0001');
  expect(response!.status()).toBe(404);
  await expect(page.locator('main h1')).toHaveText(t('error_page.not_found_title'));
});

test('a requester sees that their ticket was escalated, never the reason', async ({ page, browser, baseURL }) => {
  await freshRequester(page);
  const reference = await openTicket(page, `Sensitive application ${Date.now()}`, 'About my application.');
  const reason = `Sensitive application, needs an admin ${Date.now()}`;

  const agent = await secondBrowser(browser, baseURL);
  await logInAs(agent, DEMO.alice);
  await visit(agent, `/tickets/${reference}`);
  await agent.locator('form.escalate-form input[name=reason]').fill(reason);
  await agent.locator('form.escalate-form').getByRole('button', { name: t('ticket.escalate') }).click();
  await expect(status(agent)).toHaveAttribute('data-status', 'escalated');
  await expect(agent.locator('.timeline li[data-action=escalated]')).toContainText(reason);

  // The requester's page (server-rendered, then hydrated) says it was
  // escalated; the reason is nowhere in it, nor in what it loaded.
  await visit(page, `/tickets/${reference}`);
  await expect(status(page)).toHaveAttribute('data-status', 'escalated');
  await expect(page.locator('.timeline li[data-action=escalated]')).toContainText(t('timeline.escalated_without_reason'));
  expect(await page.content()).not.toContain(reason);
});

test('the new-ticket form says at once when the chosen queue allows no more open tickets', async ({ page }) => {
  await freshRequester(page);
  const created = await page.request.post('/api/v1/tickets', {
    data: { queue: 'recruitment', category: 'general_inquiry', subject: `Application ${Date.now()}`, description: 'Hello.' },
    headers: sameOrigin(),
  });
  expect(created.status()).toBe(201);
  const reference: string = (await created.json()).ticket.reference;

  await visit(page, '/tickets/new');
  const notice = page.locator('.limit-reached[data-queue=recruitment]');
  if (isHydrated()) {
    // Support is chosen first, and has no limit: nothing is said yet.
    await expect(notice).toBeHidden();
  }
  await page.locator('main form select[name=queue]').selectOption('recruitment');
  // Without the wasm it is on the page from the start, beside the queue.
  await expect(notice).toBeVisible();
  await expect(notice).toContainText(t('new_ticket.follow_up_there'));
  await notice.getByRole('link', { name: reference }).click();
  await expect(page).toHaveURL(`/tickets/${reference}`);
  await expect(page.locator('article.ticket')).toHaveAttribute('data-reference', reference);
});

test("the new-ticket form offers the chosen queue's categories, its default preselected", async ({ page }) => {
  // Issue 14, item 8: the form defaulted to "Order issue" even for Recruitment.
  await freshRequester(page);
  await visit(page, '/tickets/new');
  const form = page.locator('main form');
  const category = form.locator('select[name=category]');
  // Support comes first; the demo preselects "General inquiry" there. Each
  // queue's categories keep the catalogue's order (Application came last).
  await expect(category).toHaveValue('general_inquiry');
  if (isHydrated()) {
    await expect(category.locator('option[value=application]')).toHaveCount(0);
    await form.locator('select[name=queue]').selectOption('recruitment');
    await expect(category).toHaveValue('application');
    await expect(category.locator('option')).toHaveText(['General inquiry', 'Other', 'Application']);
    // A category the requester picked stays when the next queue offers it too.
    await category.selectOption('other');
    await form.locator('select[name=queue]').selectOption('support');
    await expect(category).toHaveValue('other');
    await form.locator('select[name=queue]').selectOption('recruitment');
    await category.selectOption('application');
  } else {
    // Without the wasm every queue's categories are there, grouped by queue,
    // and the server refuses one the chosen queue does not offer.
    const recruitment = category.locator('optgroup[data-queue=recruitment] option');
    await expect(recruitment).toHaveText(['General inquiry', 'Other', 'Application']);
    await form.locator('select[name=queue]').selectOption('recruitment');
    await category.selectOption('order_issue');
    await form.locator('input[name=subject]').fill(`Wrong category ${Date.now()}`);
    await form.locator('textarea[name=description]').fill('An order issue filed under Recruitment.');
    await form.getByRole('button', { name: t('new_ticket.submit') }).click();
    const reason = page.locator('main form p.field-error[data-field=category]');
    await expect(reason).toHaveText(t('field.category_not_in_queue', { queue: 'Recruitment' }));
    await expect(page.locator('main form select[name=category]')).toHaveAttribute('aria-invalid', 'true');
    // Issue 14, item 7: the summary above the form links to the reason.
    await expect(page.locator('main .error-summary a[href="#error-category"]')).toContainText(t('ticket.category'));
    await page.locator('main form select[name=queue]').selectOption('recruitment');
    await page.locator('main form select[name=category]').selectOption('application');
  }
  const subject = `Moderator application ${Date.now()}`;
  await page.locator('main form input[name=subject]').fill(subject);
  await page.locator('main form textarea[name=description]').fill('I would like to join the team.');
  await page.locator('main form').getByRole('button', { name: t('new_ticket.submit') }).click();
  await expect(page.locator('article.ticket h1')).toHaveText(subject);
  await expect(page.locator('.ticket-side dd.category')).toHaveText('Application');
  await expect(page.locator('article.ticket')).toHaveAttribute('data-reference', /^REC-/);
});
