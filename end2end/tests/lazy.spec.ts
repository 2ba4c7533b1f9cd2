// Code splitting (issue 5): where people land (home, log-in, dashboard) loads
// the main wasm module only; the other pages (app/src/pages/lazy.rs) bring
// their own chunk on their first visit, whether the browser navigates to them
// in place or loads them directly, and then work like any page.
//
// Needs the wasm: skipped in the no-js project (without JavaScript no wasm is
// loaded at all). No sleeps: every wait is on something the page shows.

import { expect, test, type Page } from '@playwright/test';
import { DEMO, isHydrated, logIn, newUser, register, t, visit } from './helpers';

test.beforeEach(() => {
  test.skip(!isHydrated(), 'wasm chunks are loaded by the wasm');
});

/** The paths of the `.wasm` files the page asked for, in order, without repeats. */
function wasmRequests(page: Page): string[] {
  const paths: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm') && !paths.includes(path)) paths.push(path);
  });
  return paths;
}

test('the dashboard runs on the main module; opening a ticket loads its chunk in place', async ({ page }) => {
  const wasm = wasmRequests(page);
  await logIn(page, DEMO.alice.login, DEMO.alice.password);
  await visit(page, '/tickets');
  await expect(page.locator('main h1')).toHaveText(t('tickets.dashboard'));
  expect(wasm).toHaveLength(1);
  const main = wasm[0];

  // Navigating in place: the document stays, the ticket page's chunk comes.
  await page.evaluate(() => ((window as unknown as { guichetKept: boolean }).guichetKept = true));
  const link = page.locator('table.tickets-table tbody tr a').first();
  const reference = (await link.textContent())!.trim();
  await link.click();
  await expect(page.locator('article.ticket')).toHaveAttribute('data-reference', reference);
  expect(wasm.length).toBeGreaterThan(1);
  expect(wasm[0]).toBe(main);
  expect(await page.evaluate(() => (window as unknown as { guichetKept?: boolean }).guichetKept)).toBe(true);

  // The page's own code runs: typing a reply autosaves a draft.
  await page.locator('form.reply-form textarea[name=body]').fill('Draft from the lazy ticket page');
  await expect(page.locator('form.reply-form .draft-status')).toHaveAttribute('data-state', 'saved');
  await page.locator('form.reply-form textarea[name=body]').fill('');
  await expect(page.locator('form.reply-form .draft-status')).toHaveAttribute('data-state', 'saved');
});

test('split pages loaded directly bring their chunk and run', async ({ page }) => {
  const wasm = wasmRequests(page);
  const user = newUser('lazy');
  // /register is split: loaded directly, its chunk comes before it hydrates.
  await register(page, user);
  expect(wasm.length).toBeGreaterThan(1);

  await logIn(page, user.username, user.password);
  await visit(page, '/tickets/new');
  await expect(page.locator('main h1')).toHaveText(t('new_ticket.title'));
  // The page's own code runs: typing autosaves a draft.
  await page.locator('main form input[name=subject]').fill('Typed on a split page');
  await expect(page.locator('main .draft-status')).toHaveAttribute('data-state', 'saved');
});
