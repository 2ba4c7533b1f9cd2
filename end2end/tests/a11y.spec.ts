// Accessibility (issue 13): axe-core (@axe-core/playwright) on every page,
// logged out, as a requester, an agent and an admin, in the light and the
// dark theme, in each project's language. A violation of impact serious or
// critical fails the test, listing what and where.
//
// Runs hydrated (axe runs in the page; the HTML is the server's either way).

import { expect, test, type Page } from '@playwright/test';
import { DEMO, isHydrated, newUser, sameOrigin, seriousViolations, t, visit } from './helpers';

test.beforeEach(() => {
  test.skip(!isHydrated(), 'axe runs as JavaScript in the page');
});

type Who = 'visitor' | 'requester' | 'agent' | 'admin';

const ACCOUNTS = { requester: DEMO.chloe, agent: DEMO.alice, admin: DEMO.admin } as const;

/** The pages each kind of user reaches (SUP-0001 is chloe's demo ticket). */
const PAGES: Record<Who, string[]> = {
  visitor: ['/', '/login', '/login/two-factor', '/register', '/tickets', '/no-such-page'],
  requester: ['/', '/tickets', '/tickets/new', '/tickets/SUP-0001', '/notifications', '/settings', '/admin/users', '/admin/stats'],
  agent: [
    '/',
    '/tickets',
    '/tickets/new',
    '/tickets/SUP-0001',
    '/notifications',
    '/settings',
    '/admin/service-levels',
    '/admin/stats',
  ],
  admin: [
    '/',
    '/tickets',
    '/tickets?status=open&sort=priority',
    '/tickets/SUP-0001',
    '/tickets/new',
    '/notifications',
    '/settings',
    '/admin/users',
    '/admin/catalog',
    '/admin/notifications',
    '/admin/notifications?status=pending',
    '/admin/service-levels',
    '/admin/stats',
    '/admin/stats?period=30d&queue=support',
  ],
};

for (const who of ['visitor', 'requester', 'agent', 'admin'] as const) {
  for (const theme of ['light', 'dark'] as const) {
    test(`no serious accessibility violation for a ${who}, ${theme} theme`, async ({ page }) => {
      test.setTimeout(120_000);
      await page.emulateMedia({ colorScheme: theme });
      if (who !== 'visitor') {
        const response = await page.request.post('/api/v1/auth/login', { data: ACCOUNTS[who], headers: sameOrigin() });
        expect(response.status()).toBe(200);
      }
      const found: string[] = [];
      for (const path of PAGES[who]) {
        await visit(page, path);
        await expect(page.locator('html')).toHaveAttribute('lang', /^(en|fr)$/);
        for (const violation of await seriousViolations(page)) found.push(`${path}: ${violation}`);
      }
      // The keyboard shortcuts dialog, open.
      await visit(page, '/');
      await page.keyboard.press('?');
      await expect(page.locator('dialog.shortcuts')).toBeVisible();
      for (const violation of await seriousViolations(page)) found.push(`/ (shortcuts dialog): ${violation}`);
      expect(found, found.join('\n')).toEqual([]);
    });
  }
}

// The two-factor screens in the states the page loop does not reach: the
// set-up with its QR code and a refused code, and the log-in's code step.
for (const theme of ['light', 'dark'] as const) {
  test(`no serious accessibility violation on the two-factor set-up, ${theme} theme`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: theme });
    const user = newUser('axe2fa');
    const registered = await page.request.post('/api/v1/auth/register', { data: user, headers: sameOrigin() });
    expect(registered.status()).toBe(201);
    const login = { login: user.username, password: user.password };
    expect((await page.request.post('/api/v1/auth/login', { data: login, headers: sameOrigin() })).status()).toBe(200);
    const found: string[] = [];
    const check = async (what: string) => {
      for (const violation of await seriousViolations(page)) found.push(`${what}: ${violation}`);
    };
    await visit(page, '/settings');
    const card = page.locator('#two-factor');
    await card.getByRole('button', { name: t('two_factor.set_up') }).click();
    await expect(card.getByTestId('two-factor-secret')).toBeVisible();
    // Five digits are never a code: the field's error shows, tied to it.
    await card.locator('input[name=code]').fill('12345');
    await card.getByRole('button', { name: t('two_factor.turn_on') }).click();
    await expect(card.locator('p.field-error[data-field=code]')).toBeVisible();
    await expect(card.locator('input[name=code]')).toHaveAttribute('aria-invalid', 'true');
    await check('/settings (two-factor set-up, a refused code)');
    await visit(page, '/login/two-factor');
    await check('/login/two-factor');
    expect(found, found.join('\n')).toEqual([]);
  });
}
