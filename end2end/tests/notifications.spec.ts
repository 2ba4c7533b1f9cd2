// The bell and /notifications: an agent's replies reach the requester's inbox,
// which marks them read one by one or all at once. Settings → Notifications
// (a user's choices per event) and /admin/notifications (defaults, Discord
// webhooks, the outbox). Runs hydrated and without JavaScript (the forms are
// plain HTML forms).

import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  DEMO,
  confirmAction,
  expectFieldError,
  header,
  isHydrated,
  languageContext,
  newUser,
  openConfirmation,
  sameOrigin,
  t,
  uniqueUsername,
  visit,
  waitForHydration,
} from './helpers';

/** Registers a fresh requester through the JSON API and logs `page` in as them. */
async function freshRequester(page: Page): Promise<void> {
  const user = newUser('bell');
  const registered = await page.request.post('/api/v1/auth/register', { data: user, headers: sameOrigin() });
  expect(registered.status()).toBe(201);
  const loggedIn = await page.request.post('/api/v1/auth/login', {
    data: { login: user.username, password: user.password },
    headers: sameOrigin(),
  });
  expect(loggedIn.status()).toBe(200);
}

/** A second browser (another person) with the same settings as this project. */
async function secondBrowser(browser: Browser, baseURL: string | undefined) {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: isHydrated(), ...languageContext() });
  return context.newPage();
}

/** Opens a ticket through the web form; returns its reference. */
async function openTicket(page: Page, subject: string): Promise<string> {
  await visit(page, '/tickets/new');
  const form = page.locator('main form');
  await form.locator('select[name=queue]').selectOption('support');
  await form.locator('select[name=category]').selectOption('technical_issue');
  await form.locator('input[name=subject]').fill(subject);
  await form.locator('textarea[name=description]').fill('The screen stays black.');
  await form.getByRole('button', { name: t('new_ticket.submit') }).click();
  await expect(page.locator('article.ticket h1')).toHaveText(subject);
  await waitForHydration(page);
  return (await page.locator('article.ticket').getAttribute('data-reference'))!;
}

/** The unread count on the header's bell. */
function bellCount(page: Page) {
  return header(page).getByTestId('notification-count');
}

test("an agent's replies light the requester's bell; the inbox marks them read", async ({
  page,
  browser,
  baseURL,
}) => {
  await freshRequester(page);
  const subject = `Black screen ${Date.now()}`;
  const reference = await openTicket(page, subject);
  await expect(bellCount(page)).toBeHidden();
  // The bell is an SVG icon, not an emoji that needs a font (issue 14).
  await expect(header(page).locator('a.bell svg')).toHaveCount(1);
  await expect(header(page).locator('a.bell')).not.toContainText('🔔');

  const agent = await secondBrowser(browser, baseURL);
  const loggedIn = await agent.request.post('/api/v1/auth/login', { data: DEMO.alice, headers: sameOrigin() });
  expect(loggedIn.status()).toBe(200);
  await visit(agent, `/tickets/${reference}`);
  for (const body of ['Is it plugged in?', 'Try another cable.']) {
    await agent.locator('form.reply-form textarea[name=body]').fill(body);
    await agent.locator('form.reply-form').getByRole('button', { name: t('ticket.send_reply') }).click();
    await expect(agent.locator('.message.reply .message-body').last()).toHaveText(body);
  }
  await agent.context().close();

  await visit(page, '/tickets');
  await expect(bellCount(page)).toHaveText('2');
  await header(page).locator('a.bell').click();
  await expect(page).toHaveURL('/notifications');
  await waitForHydration(page);
  const items = page.locator('li.notification');
  await expect(items).toHaveCount(2);
  await expect(page.locator('li.notification.unread')).toHaveCount(2);
  await expect(items.first().getByRole('link', { name: new RegExp(reference) })).toHaveAttribute(
    'href',
    `/tickets/${reference}`,
  );

  await items.first().getByRole('button', { name: t('notifications.mark_read') }).click();
  await expect(page.locator('li.notification.unread')).toHaveCount(1);
  await expect(bellCount(page)).toHaveText('1');

  await page.getByRole('button', { name: t('notifications.mark_all') }).click();
  await expect(page.locator('li.notification.unread')).toHaveCount(0);
  await expect(bellCount(page)).toBeHidden();
  await expect(items).toHaveCount(2);
});

/** Logs `page` in through the JSON API (the page shares the cookie). */
async function logInThroughApi(page: Page, account: { login: string; password: string }): Promise<void> {
  const loggedIn = await page.request.post('/api/v1/auth/login', { data: account, headers: sameOrigin() });
  expect(loggedIn.status()).toBe(200);
}

test('a user turns off email for one event; the choice is kept after a reload', async ({ page }) => {
  await freshRequester(page);
  await visit(page, '/settings');
  const card = page.locator('#notifications');
  await expect(card.getByRole('heading', { name: t('settings.notifications') })).toBeVisible();
  const email = card.getByRole('checkbox', { name: t('preferences.email_of', { name: t('notification_kind.agent_replied') }), exact: true });
  const inApp = card.getByRole('checkbox', { name: t('preferences.in_app_of', { name: t('notification_kind.agent_replied') }), exact: true });
  await expect(email).toBeChecked();
  await expect(inApp).toBeChecked();

  await email.uncheck();
  await card.getByRole('button', { name: t('common.save'), exact: true }).click();
  await expect(card.getByRole('status')).toHaveText(t('settings.notifications_saved'));
  await expect(page).toHaveURL('/settings?notice=notifications');

  await page.reload();
  await waitForHydration(page);
  await expect(email).not.toBeChecked();
  await expect(inApp).toBeChecked();
  await expect(card.getByRole('checkbox', { name: t('preferences.email_of', { name: t('notification_kind.ticket_resolved') }), exact: true })).toBeChecked();

  const saved = await page.request.get('/api/v1/notifications/preferences');
  expect(saved.status()).toBe(200);
  const { preferences } = await saved.json();
  expect(preferences).toContainEqual({ kind: 'agent_replied', email: false, in_app: true });
  expect(preferences).toContainEqual({ kind: 'ticket_resolved', email: true, in_app: true });
});

test('an admin saves the default preferences', async ({ page }) => {
  await logInThroughApi(page, DEMO.admin);
  await visit(page, '/admin/notifications');
  await expect(page.locator('main h1')).toHaveText(t('setup.title'));
  const defaults = page.locator('#defaults');
  // Saved as they are: other tests, running at the same time, rely on the defaults.
  const before = await (await page.request.get('/api/v1/admin/notifications/defaults')).json();
  await defaults.getByRole('button', { name: t('setup.save_defaults') }).click();
  await expect(defaults.getByRole('status')).toHaveText(t('setup.defaults_saved'));
  await expect(page).toHaveURL('/admin/notifications?notice=defaults');
  const after = await (await page.request.get('/api/v1/admin/notifications/defaults')).json();
  expect(after).toEqual(before);
});

test('an admin adds a Discord webhook (its URL masked), edits it and deletes it', async ({ page }) => {
  await logInThroughApi(page, DEMO.admin);
  await visit(page, '/admin/notifications');
  await expect(header(page).getByRole('link', { name: t('header.notification_setup') })).toHaveAttribute(
    'href',
    '/admin/notifications',
  );
  const section = page.locator('#webhooks');
  const name = `#${uniqueUsername('hook')}`;
  const secret = `secret-${Date.now()}`;
  // Nothing listens there: nothing leaves the machine, and deliveries fail fast.
  const url = `http://127.0.0.1:9/api/webhooks/123456/${secret}`;

  // A URL the service refuses: the reason shows under the field.
  let form = section.locator('form.webhook-form');
  await form.locator('select[name=queue]').selectOption('support');
  await form.locator('input[name=name]').fill(name);
  await form.locator('input[name=url]').fill('ftp://discord.example/api/webhooks/1/x');
  await form.getByRole('button', { name: t('setup.add_webhook_button') }).click();
  await expect(section.locator('.field-error[data-field=url]')).toContainText('https://');
  await waitForHydration(page);
  // The bypass of issue 20 (a user name and password before the real host) is
  // refused even here, where GUICHET_WEBHOOK_ALLOW_PRIVATE=1 lets webhooks
  // reach stand-ins on loopback.
  form = section.locator('form.webhook-form');
  await form.locator('select[name=queue]').selectOption('support');
  await form.locator('input[name=name]').fill(name);
  await form.locator('input[name=url]').fill('http://127.0.0.1:x@127.0.0.2:9/api/webhooks/1/x');
  await form.getByRole('button', { name: t('setup.add_webhook_button') }).click();
  await expect(section.locator('.field-error[data-field=url]')).toContainText(t('field.url_userinfo'));
  // Issue 14, item 7: at the field, and linked from the summary above the form.
  await expectFieldError(page, section, section.locator('form.webhook-form input[name=url]'), t('setup.webhook_url'), t('field.url_userinfo'));
  await waitForHydration(page);

  form = section.locator('form.webhook-form');
  await form.locator('select[name=queue]').selectOption('support');
  await form.locator('input[name=name]').fill(name);
  await form.locator('input[name=url]').fill(url);
  await form.getByLabel(t('notification_kind.ticket_created'), { exact: true }).check();
  await form.getByLabel(t('notification_kind.ticket_escalated'), { exact: true }).check();
  await form.getByRole('button', { name: t('setup.add_webhook_button') }).click();
  await expect(section.getByRole('status')).toHaveText(t('setup.webhook_added'));
  await waitForHydration(page);
  const row = section.locator(`tr[data-webhook-name="${name}"]`);
  await expect(row.locator('.masked-url')).toHaveText('http://127.0.0.1:9/api/webhooks/123456/…');
  await expect(row).toContainText(`${t('notification_kind.ticket_created')}, ${t('notification_kind.ticket_escalated')}`);
  await expect(row.locator('td').nth(4)).toHaveText(t('common.yes'));
  expect(await page.content()).not.toContain(secret);

  // Edit: a new name, inactive; the empty URL keeps the stored one.
  await row.getByRole('link', { name: t('setup.edit_named', { name }) }).click();
  await expect(page).toHaveURL(/[?&]edit=\d+/);
  await waitForHydration(page);
  await expect(section.getByRole('heading', { name: t('setup.edit_webhook', { name }) })).toBeVisible();
  const edit = section.locator('form.webhook-form');
  await expect(edit.locator('input[name=url]')).toHaveValue('');
  await expect(edit.locator('input[name=url]')).toHaveAttribute('placeholder', 'http://127.0.0.1:9/api/webhooks/123456/…');
  const renamed = `${name}-x`;
  await edit.locator('input[name=name]').fill(renamed);
  await edit.getByLabel(t('setup.active'), { exact: true }).uncheck();
  await edit.getByRole('button', { name: t('setup.save_webhook') }).click();
  await expect(section.getByRole('status')).toHaveText(t('setup.webhook_saved'));
  await expect(page).not.toHaveURL(/edit=/);
  await waitForHydration(page);
  const renamedRow = section.locator(`tr[data-webhook-name="${renamed}"]`);
  await expect(renamedRow.locator('.masked-url')).toHaveText('http://127.0.0.1:9/api/webhooks/123456/…');
  await expect(renamedRow.locator('td').nth(4)).toHaveText(t('common.no'));
  await expect(row).toHaveCount(0);
  const listed = await (await page.request.get('/api/v1/admin/webhooks')).json();
  const stored = listed.webhooks.find((webhook: { name: string }) => webhook.name === renamed);
  expect(stored).toMatchObject({ queue: 'support', active: false, kinds: ['ticket_created', 'ticket_escalated'] });

  // Deleting asks first: a cancelled question changes nothing.
  const deleteLabel = t('setup.delete_named', { name: renamed });
  if (isHydrated()) {
    const question = await openConfirmation(page, renamedRow, deleteLabel);
    await expect(question).toContainText(t('setup.delete_question', { name: renamed }));
    await question.getByRole('button', { name: t('common.cancel'), exact: true }).click();
    await expect(question).toBeHidden();
    await expect(renamedRow).toHaveCount(1);
  }
  await confirmAction(page, renamedRow, deleteLabel, t('setup.delete_confirm'));
  await expect(section.getByRole('status')).toHaveText(t('setup.webhook_deleted'));
  await expect(renamedRow).toHaveCount(0);
});

test('an admin sees the outbox and retries a failed Discord message', async ({ page, browser, baseURL }) => {
  await logInThroughApi(page, DEMO.admin);
  // A webhook whose "Discord" is Guichet itself, which answers 404: a
  // permanent error, so the worker marks the message failed at once.
  const webhookName = `#${uniqueUsername('fail')}`;
  const created = await page.request.post('/api/v1/admin/webhooks', {
    headers: sameOrigin(),
    data: {
      queue: 'support',
      name: webhookName,
      url: `${baseURL}/discord-stand-in/${Date.now()}`,
      kinds: ['ticket_created'],
    },
  });
  expect(created.status()).toBe(201);
  const webhookId = (await created.json()).webhook.id;
  try {
    const requester = await secondBrowser(browser, baseURL);
    await freshRequester(requester);
    const opened = await requester.request.post('/api/v1/tickets', {
      headers: sameOrigin(),
      data: {
        queue: 'support',
        category: 'technical_issue',
        priority: 'low',
        subject: `Outbox ${Date.now()}`,
        description: 'Printer on fire.',
      },
    });
    expect(opened.status()).toBe(201);
    const reference: string = (await opened.json()).ticket.reference;
    await requester.context().close();

    // The requester's receipt waits in the outbox (no SMTP server in these tests).
    await visit(page, '/admin/notifications?status=pending');
    const receipt = page.locator(`#outbox tr[data-reference="${reference}"][data-channel=email]`);
    await expect(receipt).toHaveCount(1);
    await expect(receipt).toContainText(t('notification_kind.ticket_created'));
    await expect(receipt.getByRole('link', { name: reference })).toHaveAttribute('href', `/tickets/${reference}`);
    await expect(receipt.getByRole('button', { name: t('setup.retry') })).toHaveCount(0);

    // The Discord message fails; the failed filter shows it with its error.
    // (Other tests' webhooks may announce the same ticket: pick ours by name.)
    const failed = page
      .locator(`#outbox tr[data-reference="${reference}"][data-channel=discord][data-status=failed]`)
      .filter({ has: page.locator('td.recipient', { hasText: webhookName }) });
    await expect(async () => {
      await visit(page, '/admin/notifications?status=failed');
      await expect(failed).toHaveCount(1, { timeout: 1_000 });
    }).toPass();
    await expect(page.locator('#outbox select[name=status]')).toHaveValue('failed');
    await expect(failed.locator('.last-error')).toContainText('Discord answered 404');
    await expect(failed.locator('.attempts')).toHaveText('1');

    await failed.getByRole('button', { name: t('setup.retry') }).click();
    await expect(page.locator('#outbox').getByRole('status')).toHaveText(t('setup.retried'));
    await expect(page).toHaveURL('/admin/notifications?status=failed&notice=retried');
    // Sent again, and failed again: a second attempt.
    await expect(async () => {
      await visit(page, '/admin/notifications?status=failed');
      await expect(failed.locator('.attempts')).toHaveText('2', { timeout: 1_000 });
    }).toPass();
  } finally {
    const deleted = await page.request.delete(`/api/v1/admin/webhooks/${webhookId}`, { headers: sameOrigin() });
    expect(deleted.status()).toBe(204);
  }
});

test('a requester may not open /admin/notifications', async ({ page }) => {
  await freshRequester(page);
  const response = await visit(page, '/admin/notifications');
  expect(response.status()).toBe(403);
  await expect(page.locator('main h1')).toHaveText(t('error_page.forbidden_title'));
  await expect(header(page).getByRole('link', { name: t('header.notification_setup') })).toHaveCount(0);
  const retry = await page.request.post('/fn/retry_outbox_message', { form: { id: '1' }, headers: sameOrigin() });
  expect(retry.status()).toBe(403);
});
