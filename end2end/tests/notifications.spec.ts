// The bell and /notifications: an agent's replies reach the requester's inbox,
// which marks them read one by one or all at once. Runs hydrated and without
// JavaScript (the forms are plain HTML forms).

import { expect, test, type Browser, type Page } from '@playwright/test';
import { DEMO, header, isHydrated, newUser, visit, waitForHydration } from './helpers';

/** Registers a fresh requester through the JSON API and logs `page` in as them. */
async function freshRequester(page: Page): Promise<void> {
  const user = newUser('bell');
  const registered = await page.request.post('/api/v1/auth/register', { data: user });
  expect(registered.status()).toBe(201);
  const loggedIn = await page.request.post('/api/v1/auth/login', {
    data: { login: user.username, password: user.password },
  });
  expect(loggedIn.status()).toBe(200);
}

/** A second browser (another person) with the same settings as this project. */
async function secondBrowser(browser: Browser, baseURL: string | undefined) {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: isHydrated() });
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
  await form.getByRole('button', { name: 'Open ticket' }).click();
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

  const agent = await secondBrowser(browser, baseURL);
  const loggedIn = await agent.request.post('/api/v1/auth/login', { data: DEMO.alice });
  expect(loggedIn.status()).toBe(200);
  await visit(agent, `/tickets/${reference}`);
  for (const body of ['Is it plugged in?', 'Try another cable.']) {
    await agent.locator('form.reply-form textarea[name=body]').fill(body);
    await agent.locator('form.reply-form').getByRole('button', { name: 'Send reply' }).click();
    await expect(agent.locator('.message.reply .message-body').last()).toHaveText(body);
  }
  await agent.context().close();

  await visit(page, '/tickets');
  await expect(bellCount(page)).toHaveText('2');
  await header(page).getByRole('link', { name: 'Notifications' }).click();
  await expect(page).toHaveURL('/notifications');
  await waitForHydration(page);
  const items = page.locator('li.notification');
  await expect(items).toHaveCount(2);
  await expect(page.locator('li.notification.unread')).toHaveCount(2);
  await expect(items.first().getByRole('link', { name: new RegExp(reference) })).toHaveAttribute(
    'href',
    `/tickets/${reference}`,
  );

  await items.first().getByRole('button', { name: 'Mark as read' }).click();
  await expect(page.locator('li.notification.unread')).toHaveCount(1);
  await expect(bellCount(page)).toHaveText('1');

  await page.getByRole('button', { name: 'Mark all as read' }).click();
  await expect(page.locator('li.notification.unread')).toHaveCount(0);
  await expect(bellCount(page)).toBeHidden();
  await expect(items).toHaveCount(2);
});
