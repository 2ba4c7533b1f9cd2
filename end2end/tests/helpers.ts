// Shared helpers of the end-to-end tests.
//
// Every test runs in two projects (see playwright.config.ts): `hydrated`
// (JavaScript on, the wasm hydrates the page) and `no-js` (plain HTML forms).
// The helpers work in both; synchronisation is always on something visible in
// the page, never on sleeps.

import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page, type Response } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import { language, t } from './i18n';
import { FIRST_PORT } from './ports';

export { language, languageContext, t, tIn } from './i18n';

/**
 * Headers that make an API request (`page.request`, `request.newContext`) look
 * like one from Guichet's own pages: the server refuses state-changing
 * requests from other origins, and Playwright's API client sends no `Origin`.
 * With the test's `Accept-Language`, as the project's browser sends it.
 */
export function sameOrigin(baseURL = `http://127.0.0.1:${FIRST_PORT}`): Record<string, string> {
  return { Origin: new URL(baseURL).origin, 'Accept-Language': language() };
}

/** A password the registration accepts (8–128 characters, not common). */
export const PASSWORD = 'correct horse battery staple';

/** The demo accounts the server loads into the empty e2e database. */
export const DEMO = {
  admin: { login: 'admin', password: 'guichet-admin-demo' },
  alice: { login: 'alice', password: 'guichet-alice-demo' },
  bruno: { login: 'bruno', password: 'guichet-bruno-demo' },
  chloe: { login: 'chloe', password: 'guichet-chloe-demo' },
  david: { login: 'david', password: 'guichet-david-demo' },
  emma: { login: 'emma', password: 'guichet-emma-demo' },
} as const;

export interface NewUser {
  username: string;
  email: string;
  password: string;
}

/**
 * A username nobody has used yet, also across runs on the same database:
 * `<prefix>-<time>-<random>` (letters, digits and `-`, at most 32 characters).
 */
export function uniqueUsername(prefix: string): string {
  const time = Date.now().toString(36);
  const random = Math.random().toString(36).slice(2, 8).padEnd(6, '0');
  return `${prefix.slice(0, 10)}-${time}-${random}`.toLowerCase();
}

/** Data for a fresh account: unique username, matching email, valid password. */
export function newUser(prefix: string): NewUser {
  const username = uniqueUsername(prefix);
  return { username, email: `${username}@example.com`, password: PASSWORD };
}

/** Whether the current test runs with JavaScript (and so with the wasm). */
export function isHydrated(): boolean {
  return test.info().project.use.javaScriptEnabled !== false;
}

/**
 * Waits until the wasm has hydrated the page: the theme button gets its
 * `data-theme-now` attribute only then. Without JavaScript it returns at once.
 * Call it after every full page load (goto, reload) before interacting.
 */
export async function waitForHydration(page: Page): Promise<void> {
  if (!isHydrated()) return;
  await expect(page.locator('button.theme-toggle[data-theme-now]')).toHaveAttribute(
    'data-theme-now',
    /^(light|dark)$/,
  );
}

/** `page.goto(path)`, then [`waitForHydration`]; returns the response. */
export async function visit(page: Page, path: string): Promise<Response> {
  const response = await page.goto(path);
  expect(response, `response for ${path}`).not.toBeNull();
  await waitForHydration(page);
  return response!;
}

/** The page header. */
export function header(page: Page) {
  return page.locator('header.site-header');
}

/** The header's "Log in" link, shown only to visitors. */
export function headerLogInLink(page: Page) {
  return header(page).getByRole('link', { name: t('header.log_in'), exact: true });
}

/** The username shown in the header when logged in. */
export function headerUsername(page: Page) {
  return header(page).getByTestId('current-username');
}

/** The role badge shown in the header when logged in. */
export function headerRole(page: Page) {
  return header(page).locator('.role-badge');
}

/**
 * Fills and submits the registration form (from a fresh /register). Does not
 * check the outcome: callers expect either the log-in page or field errors.
 */
export async function submitRegistration(page: Page, user: NewUser): Promise<void> {
  await visit(page, '/register');
  const form = page.locator('main form');
  await form.locator('input[name=username]').fill(user.username);
  await form.locator('input[name=email]').fill(user.email);
  await form.locator('input[name=password]').fill(user.password);
  await form.getByRole('button', { name: t('register.submit') }).click();
}

/** Registers `user` and checks that the browser lands on the log-in page. */
export async function register(page: Page, user: NewUser): Promise<void> {
  await submitRegistration(page, user);
  await expect(page.locator('p.notice')).toHaveText(t('login.registered'));
  await expect(page).toHaveURL('/login?registered=1');
}

/**
 * Fills the log-in form on the current page (which must be /login, loaded
 * and hydrated) and submits it, without checking the outcome.
 */
export async function submitLogIn(
  page: Page,
  login: string,
  password: string,
  options: { remember?: boolean } = {},
): Promise<void> {
  const form = page.locator('main form');
  await form.locator('input[name=login]').fill(login);
  await form.locator('input[name=password]').fill(password);
  if (options.remember) {
    await form.locator('input[name=remember]').check();
  }
  await form.getByRole('button', { name: t('login.submit') }).click();
}

/** The heading of the page a log-in lands on: "My tickets" or the dashboard. */
const landing = () => new RegExp(`^(${[t('tickets.mine'), t('tickets.dashboard')].map(escapeRegExp).join('|')})$`);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Logs in from a fresh /login and waits for the page it lands on, where the
 * role works (`/tickets`: "My tickets" or the dashboard) with the username
 * in the header. Returns that username.
 */
export async function logIn(
  page: Page,
  login: string,
  password: string,
  options: { remember?: boolean } = {},
): Promise<string> {
  await visit(page, '/login');
  await submitLogIn(page, login, password, options);
  // A log-in lands where the role works: "My tickets" or the dashboard.
  await expect(page).toHaveURL('/tickets');
  await expect(page.locator('main h1')).toHaveText(landing());
  await expect(headerUsername(page)).toBeVisible();
  return (await headerUsername(page).textContent())!.trim();
}

/** Logs out with the header's button and waits for the visitor's header. */
export async function logOut(page: Page): Promise<void> {
  await header(page).getByRole('button', { name: t('header.log_out') }).click();
  await expect(headerLogInLink(page)).toBeVisible();
  await expect(headerUsername(page)).toHaveCount(0);
}

/**
 * Does an action that asks first (the app's `ConfirmSubmit`): `label` in
 * `scope` opens the question (a modal dialog when hydrated, a disclosure
 * without JavaScript), then `confirm` answers yes. Returns nothing: wait on
 * what the action changes.
 */
export async function confirmAction(page: Page, scope: Locator, label: string, confirm: string): Promise<void> {
  const question = await openConfirmation(page, scope, label);
  await question.getByRole('button', { name: confirm, exact: true }).click();
}

/** Opens the question of an action that asks first; returns where its buttons are. */
export async function openConfirmation(page: Page, scope: Locator, label: string): Promise<Locator> {
  if (isHydrated()) {
    await scope.getByRole('button', { name: label, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: label, exact: true });
    await expect(dialog).toBeVisible();
    return dialog;
  }
  // A disclosure: its summary opens it (and a second click would close it).
  const panel = scope.locator('details.confirm[open] .confirm-panel');
  if ((await panel.count()) === 0) {
    // Named by its aria-label when it has one (one "Delete" per row), else by its text.
    const named = scope.locator(`details.confirm > summary[aria-label="${label.replace(/["\\]/g, '\\$&')}"]`);
    const summary = (await named.count()) > 0 ? named : scope.locator('details.confirm > summary', { hasText: label });
    await summary.click();
  }
  await expect(panel).toBeVisible();
  return panel;
}

/** An authenticator app holding `secret` (base32, as the page shows it, in groups). */
export function authenticator(secret: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({
    issuer: 'Guichet',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: OTPAuth.Secret.fromBase32(secret.replace(/\s+/g, '')),
  });
}

/** The code the app shows `offset` seconds from now (30 s a step). */
export function codeAt(totp: OTPAuth.TOTP, offset: number): string {
  return totp.generate({ timestamp: Date.now() + offset * 1000 });
}

/**
 * Asserts that `field` (an input, select or fieldset) has an error that sits
 * on it: `aria-invalid`, `aria-describedby` naming one message on the page,
 * inside `near` (the field's own form or row) and saying `reason`, and a link
 * in an error summary to that message reading "`label`: `reason`".
 */
export async function expectFieldError(
  page: Page,
  near: Locator,
  field: Locator,
  label: string,
  reason: string,
): Promise<void> {
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(field).toHaveAttribute('aria-describedby', /^error-/);
  const id = (await field.getAttribute('aria-describedby'))!;
  await expect(page.locator(`[id="${id}"]`)).toHaveCount(1);
  await expect(near.locator(`p.field-error[id="${id}"]`)).toHaveText(reason);
  await expect(page.locator(`.error-summary a[href="#${id}"]`)).toHaveText(`${label}: ${reason}`);
}

/** Serious and critical axe violations (WCAG 2.1 A/AA and best practice) on the page as it is now, one line each: what and where. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help}\n` +
        violation.nodes.map((node) => `    ${node.target.join(' ')}: ${node.failureSummary?.split('\n').join(' ')}`).join('\n'),
    );
}
