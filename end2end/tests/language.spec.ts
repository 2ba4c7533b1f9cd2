// Choosing the language (issue 13): the header's switcher, for visitors (a
// cookie) and users (their account), with and without JavaScript; the page
// comes back in the other language with `<html lang>` to match, and stays so.

import { expect, test } from '@playwright/test';
import { header, language, logIn, newUser, register, sameOrigin, tIn, visit, waitForHydration } from './helpers';

const other = () => (language() === 'fr' ? 'en' : 'fr');

test('a visitor switches the language and keeps it', async ({ page, context }) => {
  await visit(page, '/login');
  await expect(page.locator('html')).toHaveAttribute('lang', language());
  await expect(page.locator('main h1')).toHaveText(tIn(language(), 'login.title'));

  const switcher = header(page).getByTestId('language-switch');
  await expect(switcher).toHaveText(tIn(other(), 'language.name'));
  await expect(switcher).toHaveAttribute('lang', other());
  await switcher.click();
  await expect(page).toHaveURL('/login');
  await waitForHydration(page);
  await expect(page.locator('html')).toHaveAttribute('lang', other());
  await expect(page.locator('main h1')).toHaveText(tIn(other(), 'login.title'));
  const cookie = (await context.cookies()).find((cookie) => cookie.name === 'guichet_language');
  expect(cookie?.value).toBe(other());

  // It holds on the next page, and the switcher now offers the first language back.
  await visit(page, '/register');
  await expect(page.locator('main h1')).toHaveText(tIn(other(), 'register.heading'));
  await expect(header(page).getByTestId('language-switch')).toHaveText(tIn(language(), 'language.name'));
});

test("a user's choice is kept on the account, whatever the browser asks for", async ({ page, browser, baseURL }) => {
  const user = newUser('lang');
  await register(page, user);
  await logIn(page, user.username, user.password);
  await header(page).getByTestId('language-switch').click();
  await waitForHydration(page);
  await expect(page.locator('html')).toHaveAttribute('lang', other());
  await expect(page.locator('main h1')).toHaveText(tIn(other(), 'tickets.mine'));

  // Another browser asking for the first language: the account's wins.
  const elsewhere = await browser.newContext({
    baseURL,
    javaScriptEnabled: test.info().project.use.javaScriptEnabled,
    extraHTTPHeaders: { 'Accept-Language': language() },
  });
  try {
    const second = await elsewhere.newPage();
    const loggedIn = await second.request.post('/api/v1/auth/login', {
      data: { login: user.username, password: user.password },
      headers: sameOrigin(baseURL),
    });
    expect(loggedIn.status()).toBe(200);
    await visit(second, '/');
    await expect(second.locator('html')).toHaveAttribute('lang', other());
    await expect(second.locator('main h1')).toHaveText(tIn(other(), 'home.hello', { name: user.username }));
  } finally {
    await elsewhere.close();
  }
});
