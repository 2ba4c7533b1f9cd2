// Keyboard for agents (issue 13): on the dashboard `j` / `k` move between
// tickets, `Enter` opens one, `/` goes to the search box; on a ticket `r`
// replies, `n` writes an internal note, `Ctrl+Enter` sends, `Esc` leaves the
// box; `?` lists the shortcuts. None fires while typing in a field. All
// without the mouse. Needs the wasm (skipped without JavaScript).

import { expect, test, type Page } from '@playwright/test';
import { DEMO, isHydrated, sameOrigin, t, visit } from './helpers';

test.beforeEach(() => {
  test.skip(!isHydrated(), 'keyboard shortcuts are the wasm');
});

async function logInAs(page: Page, account: { login: string; password: string }) {
  const response = await page.request.post('/api/v1/auth/login', { data: account, headers: sameOrigin() });
  expect(response.status()).toBe(200);
}

/** The `href` of the element that has the focus. */
async function focusedHref(page: Page): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.getAttribute('href') ?? null);
}

test('an agent works a ticket from the dashboard without touching the mouse', async ({ page }) => {
  await logInAs(page, DEMO.alice);
  await visit(page, '/tickets');
  await expect(page.locator('main h1')).toHaveText(t('tickets.dashboard'));
  const links = page.locator('table.tickets-table tbody a.subject');
  const first = await links.nth(0).getAttribute('href');
  const second = await links.nth(1).getAttribute('href');

  await page.keyboard.press('j');
  expect(await focusedHref(page)).toBe(first);
  await page.keyboard.press('j');
  expect(await focusedHref(page)).toBe(second);
  await page.keyboard.press('k');
  expect(await focusedHref(page)).toBe(first);

  // `/` goes to the search box; typing there types, shortcuts stay quiet.
  await page.keyboard.press('/');
  const search = page.locator('form.filters input[name=q]');
  await expect(search).toBeFocused();
  await page.keyboard.type('jk?');
  await expect(search).toHaveValue('jk?');
  await expect(search).toBeFocused();
  await expect(page.locator('dialog.shortcuts')).toBeHidden();

  // Esc leaves the box; back in the list, Enter opens the ticket in focus.
  await page.keyboard.press('Escape');
  await expect(search).not.toBeFocused();
  await page.keyboard.press('j');
  expect(await focusedHref(page)).toBe(first);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(first!);
  await expect(page.locator('article.ticket')).toBeVisible();
  const box = page.locator('form.reply-form textarea[name=body]');

  // `r`: a reply, sent with Ctrl+Enter; Esc leaves the box.
  await page.keyboard.press('r');
  await expect(box).toBeFocused();
  await expect(page.getByTestId('note-toggle')).not.toBeChecked();
  const reply = `Keyboard reply ${Date.now()}`;
  await page.keyboard.type(reply);
  await page.keyboard.press('Control+Enter');
  await expect(page.locator('.message.reply .message-body').last()).toHaveText(reply);
  await page.keyboard.press('Escape');
  await expect(box).not.toBeFocused();

  // `n`: an internal note, also with Ctrl+Enter.
  await page.keyboard.press('n');
  await expect(box).toBeFocused();
  await expect(page.getByTestId('note-toggle')).toBeChecked();
  const note = `Keyboard note ${Date.now()}`;
  await page.keyboard.type(note);
  await page.keyboard.press('Control+Enter');
  await expect(page.locator('.message.internal-note .message-body').last()).toHaveText(note);
  await page.keyboard.press('Escape');
  await expect(box).not.toBeFocused();

  // `?` lists the shortcuts; Esc closes the list.
  await page.keyboard.press('?');
  const dialog = page.locator('dialog.shortcuts');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('heading')).toHaveText(t('shortcuts.title'));
  await expect(dialog).toContainText(t('shortcuts.note'));
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

test('the skip link leads the keyboard past the header', async ({ page }) => {
  await visit(page, '/login');
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: t('header.skip_link') });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#main')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.locator('main input[name=login]')).toBeFocused();
});
