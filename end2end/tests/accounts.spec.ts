// Accounts: registration, log-in and log-out, roles and the admin user list,
// hydration, error pages. Each test runs hydrated and without JavaScript.

import { expect, test } from '@playwright/test';
import {
  DEMO,
  expectFieldError,
  header,
  headerLogInLink,
  headerRole,
  headerUsername,
  logIn,
  logOut,
  newUser,
  register,
  submitRegistration,
  visit,
  waitForHydration,
  isHydrated,
  languageContext,
  t,
} from './helpers';

test('register, log in, see my name in the header, log out', async ({ page, context }) => {
  const user = newUser('reg');

  // A visitor's header offers log-in and registration.
  await visit(page, '/');
  await expect(headerLogInLink(page)).toBeVisible();
  await expect(header(page).getByRole('link', { name: t('header.register'), exact: true })).toBeVisible();

  await register(page, user);

  // Log in from the page the registration led to, remembering the session.
  const username = await logIn(page, user.username, user.password, { remember: true });
  expect(username).toBe(user.username);
  await expect(headerRole(page)).toHaveText(t('role.requester'));
  await expect(headerLogInLink(page)).toHaveCount(0);

  // "Remember me": the session cookie outlives the browser session (30 days).
  const session = (await context.cookies()).find((cookie) => cookie.name === 'guichet_session');
  expect(session, 'session cookie').toBeDefined();
  expect(session!.httpOnly).toBe(true);
  const days = (session!.expires - Date.now() / 1000) / 86_400;
  expect(days).toBeGreaterThan(29);
  expect(days).toBeLessThanOrEqual(30.01);

  // The session holds across a full page load.
  await page.reload();
  await waitForHydration(page);
  await expect(headerUsername(page)).toHaveText(user.username);

  await logOut(page);
  await expect(header(page).getByRole('link', { name: t('header.register'), exact: true })).toBeVisible();

  // Logged out, the admin page asks to log in and shows no user list.
  const response = await visit(page, '/admin/users');
  expect(response.status()).toBe(401);
  await expect(page.locator('main h1')).toHaveText(t('error_page.log_in_title'));
  await expect(page.locator('tr[data-username]')).toHaveCount(0);
  await expect(headerUsername(page)).toHaveCount(0);
});

test('duplicate username and email are refused whatever their case', async ({ page }) => {
  const user = newUser('dup');
  await register(page, user);

  // Same username in upper case, new email.
  const other = newUser('dup2');
  await submitRegistration(page, { ...other, username: user.username.toUpperCase() });
  await expect(page.locator('p.field-error[data-field=username]')).toHaveText(t('field.username_taken'));
  await expect(page.locator('p.field-error[data-field=email]')).toHaveCount(0);
  await expect(page).toHaveURL(/\/register(\?|$)/);

  // New username, same email in mixed case.
  const mixedCaseEmail = user.email.charAt(0).toUpperCase() + user.email.slice(1).replace('@example.com', '@EXAMPLE.com');
  await submitRegistration(page, { ...other, email: mixedCaseEmail });
  await expect(page.locator('p.field-error[data-field=email]')).toHaveText(t('field.email_taken'));
  await expect(page.locator('p.field-error[data-field=username]')).toHaveCount(0);
  await expect(page).toHaveURL(/\/register(\?|$)/);

  // Neither attempt created an account: the second username is still free.
  await register(page, other);
});

test('only admins see the user list; an admin makes a user an agent', async ({ page, browser }) => {
  const user = newUser('role');
  await register(page, user);

  // The new user logs in (with the email, in upper case) in a browser of their own.
  const userContext = await browser.newContext(languageContext());
  try {
    const userPage = await userContext.newPage();
    expect(await logIn(userPage, user.email.toUpperCase(), user.password)).toBe(user.username);
    await expect(headerRole(userPage)).toHaveText(t('role.requester'));

    // A requester is refused the admin page, with status 403.
    const requesterResponse = await visit(userPage, '/admin/users');
    expect(requesterResponse.status()).toBe(403);
    await expect(userPage.locator('main h1')).toHaveText(t('error_page.forbidden_title'));
    await expect(userPage.locator('tr[data-username]')).toHaveCount(0);

    // So is the demo requester chloe.
    expect(await logIn(page, DEMO.chloe.login, DEMO.chloe.password)).toBe('chloe');
    const chloeResponse = await visit(page, '/admin/users');
    expect(chloeResponse.status()).toBe(403);
    await expect(page.locator('main h1')).toHaveText(t('error_page.forbidden_title'));
    await expect(page.locator('tr[data-username]')).toHaveCount(0);
    await expect(header(page).getByRole('link', { name: t('header.users'), exact: true })).toHaveCount(0);
    await logOut(page);

    // The admin finds the new user through the search.
    expect(await logIn(page, DEMO.admin.login, DEMO.admin.password)).toBe('admin');
    await expect(headerRole(page)).toHaveText(t('role.admin'));
    await header(page).getByRole('link', { name: t('header.users'), exact: true }).click();
    await expect(page).toHaveURL('/admin/users');
    await expect(page.locator('main h1')).toHaveText(t('admin_users.title'));
    await expect(page.locator('tr[data-username=admin]')).toBeVisible();

    const search = page.locator('form.search-form');
    await search.locator('input[name=q]').fill(user.username.toUpperCase());
    await search.getByRole('button', { name: t('admin_users.search') }).click();
    await expect(page).toHaveURL(`/admin/users?q=${user.username.toUpperCase()}`);
    await waitForHydration(page);
    const row = page.locator(`tr[data-username="${user.username}"]`);
    await expect(row).toBeVisible();
    await expect(page.locator('tr[data-username]')).toHaveCount(1);
    await expect(row.locator('.role-badge')).toHaveText(t('role.requester'));

    // Make them an agent.
    await row.locator('select[name=role]').selectOption('agent');
    await row.getByRole('button', { name: t('common.save') }).click();
    await expect(row.locator('.role-badge')).toHaveText(t('role.agent'));
    await expect(row.locator('select[name=role]')).toHaveValue('agent');
    await expect(page.locator('p.form-error')).toHaveCount(0);

    // The change holds after a full reload of the admin page.
    await page.reload();
    await waitForHydration(page);
    await expect(page.locator(`tr[data-username="${user.username}"] .role-badge`)).toHaveText(t('role.agent'));

    // The user's next page load shows the new role, without logging in again.
    await userPage.reload();
    await waitForHydration(userPage);
    await expect(headerUsername(userPage)).toHaveText(user.username);
    await expect(headerRole(userPage)).toHaveText(t('role.agent'));
  } finally {
    await userContext.close();
  }
});

test('the page hydrates: the theme toggle works without a page load', async ({ page }) => {
  test.skip(!isHydrated(), 'needs wasm');

  await visit(page, '/');
  const html = page.locator('html');
  const toggle = page.locator('button.theme-toggle');
  const before = await toggle.getAttribute('data-theme-now');
  expect(before).toMatch(/^(light|dark)$/);
  const after = before === 'dark' ? 'light' : 'dark';
  await expect(toggle).toHaveText(before === 'dark' ? t('theme.light') : t('theme.dark'));

  // A value kept on `window` survives only if the page is not reloaded.
  await page.evaluate(() => {
    (window as unknown as { e2eMarker?: string }).e2eMarker = 'still here';
  });
  await toggle.click();
  await expect(html).toHaveAttribute('data-theme', after);
  await expect(toggle).toHaveAttribute('data-theme-now', after);
  await expect(toggle).toHaveText(after === 'dark' ? t('theme.light') : t('theme.dark'));
  expect(await page.evaluate(() => (window as unknown as { e2eMarker?: string }).e2eMarker)).toBe('still here');
  expect(await page.evaluate(() => localStorage.getItem('guichet-theme'))).toBe(after);

  // Back again.
  await toggle.click();
  await expect(html).toHaveAttribute('data-theme', before!);
  await expect(toggle).toHaveAttribute('data-theme-now', before!);
  expect(await page.evaluate(() => localStorage.getItem('guichet-theme'))).toBe(before);

  // The choice is kept on this device: it applies again after a reload.
  await toggle.click();
  await expect(html).toHaveAttribute('data-theme', after);
  await page.reload();
  await waitForHydration(page);
  await expect(html).toHaveAttribute('data-theme', after);
  await expect(toggle).toHaveAttribute('data-theme-now', after);
  expect(await page.evaluate(() => (window as unknown as { e2eMarker?: string }).e2eMarker)).toBeUndefined();
});

test('an unknown address shows the 404 page', async ({ page }) => {
  const response = await visit(page, '/does-not-exist');
  expect(response.status()).toBe(404);
  await expect(page.locator('main h1')).toHaveText(t('error_page.not_found_title'));
  await expect(page.getByRole('link', { name: t('error_page.back_home') })).toHaveAttribute('href', '/');
  await expect(headerLogInLink(page)).toBeVisible();
});

test('a refused registration shows every reason at once, each at its field, and the summary links to them', async ({ page }) => {
  // Issue 14, item 7: registration showed one error at a time and never said the username was taken.
  const user = newUser('all');
  await register(page, user);
  await submitRegistration(page, { username: user.username.toUpperCase(), email: user.email, password: 'password' });
  const reasons = {
    username: t('field.username_taken'),
    email: t('field.email_taken'),
    password: t('field.password_common'),
  } as const;
  const labels = { username: t('register.username'), email: t('register.email'), password: t('register.password') } as const;
  for (const field of ['username', 'email', 'password'] as const) {
    await expect(page.locator(`p.field-error[data-field=${field}]`)).toHaveText(reasons[field]);
    await expect(page.locator(`main form input[name=${field}]`)).toHaveAttribute('aria-invalid', 'true');
    const link = page.locator(`.error-summary a[href="#error-${field}"]`);
    await expect(link).toHaveText(`${labels[field]}: ${reasons[field]}`);
  }
  await expect(page.locator('main form input[name=username]')).toHaveAttribute('aria-describedby', 'error-username');
  await expect(page).toHaveURL(/\/register(\?|$)/);
});

test('a refused log-in says why in the summary, above the form', async ({ page }) => {
  await visit(page, '/login');
  const form = page.locator('main form');
  await form.locator('input[name=login]').fill(`nobody-${Date.now()}`);
  await form.locator('input[name=password]').fill('not the password at all');
  await form.getByRole('button', { name: t('login.submit') }).click();
  await expect(page.locator('main .error-summary')).toContainText(t('errors.wrong_credentials'));
  await expect(page).toHaveURL(/\/login(\?|$)/);
});

test('settings refuse an unknown time zone at its field, and the summary links to it', async ({ page }) => {
  const user = newUser('zone');
  await register(page, user);
  await logIn(page, user.username, user.password);
  await visit(page, '/settings');
  const card = page.locator('section#language');
  await card.locator('input[name=time_zone]').fill('Mars/Olympus_Mons');
  await card.getByRole('button', { name: t('common.save') }).click();
  await expect(page.locator('section#language p.field-error[data-field=time_zone]')).toHaveText(t('field.unknown_time_zone'));
  await expect(page.locator('section#language input[name=time_zone]')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('section#language .error-summary a[href="#error-time_zone"]')).toContainText(t('settings.time_zone'));
});

test("an admin's refused role change shows the reason in that user's row, and the summary links to it", async ({ page }) => {
  // Issue 14, item 7: one role form per row; the error names the row's user.
  await logIn(page, DEMO.admin.login, DEMO.admin.password);
  await visit(page, '/admin/users?q=admin');
  const row = page.locator('tr[data-username=admin]');
  await row.locator('select[name=role]').selectOption('agent');
  await row.getByRole('button', { name: t('common.save') }).click();
  await expectFieldError(page, row, row.locator('select[name=role]'), t('admin_users.role'), t('field.own_admin_role'));
  await expect(page.locator('tr[data-username] [aria-invalid=true]')).toHaveCount(1);
  await expect(row.locator('.role-badge')).toHaveClass(/role-admin/);
});
