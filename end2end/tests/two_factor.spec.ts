// Two-factor authentication (issue 20, item 10): set up in Settings with the
// QR code's key, recovery codes shown once, log-in with a code, an admin's
// reset. Codes come from the `otpauth` library, as from a phone's app. Each
// test runs hydrated and without JavaScript.

import { expect, test, type Page } from '@playwright/test';
import type * as OTPAuth from 'otpauth';
import {
  DEMO,
  authenticator,
  codeAt,
  expectFieldError,
  headerUsername,
  isHydrated,
  languageContext,
  logIn,
  logOut,
  newUser,
  register,
  sameOrigin,
  submitLogIn,
  t,
  visit,
} from './helpers';

/** Six digits that are none of the codes the server may accept around now. */
function wrongCode(totp: OTPAuth.TOTP): string {
  const near = new Set([-60, -30, 0, 30, 60].map((offset) => codeAt(totp, offset)));
  let value = Number(codeAt(totp, 0));
  let candidate: string;
  do {
    value = (value + 1) % 1_000_000;
    candidate = String(value).padStart(6, '0');
  } while (near.has(candidate));
  return candidate;
}

/** Records Content-Security-Policy violations (hydrated pages only run scripts). */
async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  if (!isHydrated()) return violations;
  await page.exposeFunction('reportTwoFactorCspViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { reportTwoFactorCspViolation: (text: string) => void }).reportTwoFactorCspViolation(
        `${event.violatedDirective} blocked ${event.blockedURI}`,
      );
    });
  });
  return violations;
}

test('set up two-factor authentication in Settings, then log in with a code', async ({ page }) => {
  const violations = await watchCsp(page);
  const user = newUser('totp');
  await register(page, user);
  await logIn(page, user.username, user.password);

  await visit(page, '/settings');
  const card = page.locator('#two-factor');
  await expect(card.getByTestId('two-factor-state')).toContainText(t('two_factor.off'));
  await card.getByRole('button', { name: t('two_factor.set_up') }).click();

  // The QR code is drawn on the server, inline; the key is there as text too.
  const secret = card.getByTestId('two-factor-secret');
  await expect(secret).toHaveText(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
  await expect(card.locator('.qr-code svg[role=img] path')).toHaveCount(1);
  const totp = authenticator((await secret.textContent())!);

  // A wrong first code turns nothing on.
  await card.locator('input[name=code]').fill(wrongCode(totp));
  await card.getByRole('button', { name: t('two_factor.turn_on') }).click();
  await expect(card.locator('p.field-error[data-field=code]')).toContainText(t('field.not_current_code'));
  await expect(card.getByTestId('two-factor-secret')).toBeVisible();

  await card.locator('input[name=code]').fill(codeAt(totp, 0));
  await card.getByRole('button', { name: t('two_factor.turn_on') }).click();
  const codes = card.getByTestId('recovery-codes').locator('li code');
  await expect(codes).toHaveCount(10);
  await expect(codes.first()).toHaveText(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
  await expect(card.getByTestId('two-factor-state')).toContainText(t('two_factor.codes_left', { count: 10 }));
  await expect(page.getByTestId('account-history').locator('tr[data-action=two_factor_enabled]')).toHaveCount(1);

  // The codes are shown once: reloading the page does not show them again.
  await visit(page, '/settings');
  await expect(page.locator('#two-factor').getByTestId('two-factor-state')).toContainText(t('two_factor.on_since', { time: '' }).replace(/\s*\.$/, '').trim());
  await expect(page.getByTestId('recovery-codes')).toHaveCount(0);

  // The password alone no longer logs in: the next page asks for the code.
  await logOut(page);
  await visit(page, '/login');
  await submitLogIn(page, user.username, user.password);
  await expect(page).toHaveURL('/login/two-factor');
  await expect(page.locator('main h1')).toHaveText(t('login.code_title'));
  await expect(headerUsername(page)).toHaveCount(0);

  const form = page.locator('main form');
  await form.locator('input[name=code]').fill(wrongCode(totp));
  await form.getByRole('button', { name: t('login.verify') }).click();
  await expect(page.locator('main .form-error')).toContainText(t('errors.wrong_code'));
  await expect(headerUsername(page)).toHaveCount(0);

  // The set-up used the current step's code: the app's next one logs in.
  await page.locator('main form input[name=code]').fill(codeAt(totp, 30));
  await page.locator('main form').getByRole('button', { name: t('login.verify') }).click();
  await expect(page).toHaveURL('/tickets');
  await expect(headerUsername(page)).toHaveText(user.username);
  expect(violations).toEqual([]);
});

test('an admin resets a user\u2019s two-factor authentication, which shows in their history', async ({
  page,
  browser,
}) => {
  // The user sets it up through the API, in a browser of their own.
  const user = newUser('reset');
  const theirs = await browser.newContext({
    baseURL: test.info().project.use.baseURL,
    javaScriptEnabled: isHydrated(),
    ...languageContext(),
  });
  const api = theirs.request;
  expect((await api.post('/api/v1/auth/register', { data: user, headers: sameOrigin() })).status()).toBe(201);
  const login = { login: user.username, password: user.password };
  expect((await api.post('/api/v1/auth/login', { data: login, headers: sameOrigin() })).status()).toBe(200);
  const enrolment = await (await api.post('/api/v1/me/two-factor/enrolment', { headers: sameOrigin() })).json();
  const totp = authenticator(enrolment.secret);
  const confirmed = await api.post('/api/v1/me/two-factor/confirm', {
    data: { code: codeAt(totp, 0) },
    headers: sameOrigin(),
  });
  expect(confirmed.status()).toBe(200);

  await logIn(page, DEMO.admin.login, DEMO.admin.password);
  await visit(page, `/admin/users?q=${user.username}`);
  const row = page.locator(`tr[data-username="${user.username}"]`);
  await expect(row.getByTestId('two-factor')).toContainText(t('admin_users.two_factor_on'));
  await row.getByRole('button', { name: t('admin_users.two_factor_reset_of', { name: user.username }) }).click();
  await expect(page.locator(`tr[data-username="${user.username}"]`).getByTestId('two-factor')).toHaveText(t('admin_users.two_factor_off'));

  // The password alone logs them in again, and Settings says who reset it.
  await api.post('/api/v1/auth/logout', { headers: sameOrigin() });
  expect((await api.post('/api/v1/auth/login', { data: login, headers: sameOrigin() })).status()).toBe(200);
  const theirPage = await theirs.newPage();
  await visit(theirPage, '/settings');
  const reset = theirPage.getByTestId('account-history').locator('tr[data-action=two_factor_reset]');
  await expect(reset).toContainText(t('account_action.two_factor_reset'));
  await expect(reset).toContainText(DEMO.admin.login);
  await theirs.close();
});

test("the two-factor forms' reasons sit at their own fields, and each summary links to them", async ({ page }) => {
  // Issue 14, item 7: three forms of the card have fields, two of them both "confirmation".
  const user = newUser('totpform');
  await register(page, user);
  await logIn(page, user.username, user.password);
  await visit(page, '/settings');
  const card = page.locator('#two-factor');
  await card.getByRole('button', { name: t('two_factor.set_up') }).click();
  const secret = card.getByTestId('two-factor-secret');
  await expect(secret).toHaveText(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
  const totp = authenticator((await secret.textContent())!);

  await card.locator('input[name=code]').fill(wrongCode(totp));
  await card.getByRole('button', { name: t('two_factor.turn_on') }).click();
  await expectFieldError(page, card, card.locator('input[name=code]'), t('two_factor.code'), t('field.not_current_code'));

  await card.locator('input[name=code]').fill(codeAt(totp, 0));
  await card.getByRole('button', { name: t('two_factor.turn_on') }).click();
  await expect(card.getByTestId('recovery-codes').locator('li code')).toHaveCount(10);

  const formWith = (button: string) => card.locator('form').filter({ has: page.getByRole('button', { name: button }) });
  const turnOff = formWith(t('two_factor.turn_off'));
  // Blank once trimmed: `required` lets it through, the service refuses it.
  await turnOff.locator('input[name=confirmation]').fill('   ');
  await turnOff.getByRole('button', { name: t('two_factor.turn_off') }).click();
  const field = turnOff.locator('input[name=confirmation]');
  await expectFieldError(page, card, field, t('two_factor.confirmation'), t('field.required'));
  // The other form with a "confirmation" field is not marked.
  await expect(formWith(t('two_factor.new_codes')).locator('input[name=confirmation]')).not.toHaveAttribute('aria-invalid', 'true');
  await expect(card.getByTestId('two-factor-state')).toBeVisible();
});
