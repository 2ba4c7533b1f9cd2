// Satisfaction ratings (issue 15, item 4): a requester rates a resolved
// ticket from its page (hydrated and without JavaScript: a plain form post),
// changes it, and the agent sees it on the ticket and in the timeline; the
// "resolved" email's one-click link rates without logging in and offers a
// comment. axe-core checks the rating form, the rating shown and the link's
// page (hydrated only, as in a11y.spec.ts).

import { createHash, createHmac } from 'node:crypto';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { DEMO, isHydrated, languageContext, newUser, sameOrigin, seriousViolations, t, visit, waitForHydration } from './helpers';

/** The e2e servers' GUICHET_SECRET_KEY (playwright.config.ts). */
const SECRET_KEY = 'guichet-e2e-secret-key';

/** "4 – Satisfied": a score's label, as the form and the page show it. */
function scoreLabel(score: number): string {
  return `${score} – ${t(`rate_page.score_${score}`)}`;
}

/** A second browser (another person) with the same settings as this project. */
async function secondBrowser(browser: Browser, baseURL: string | undefined): Promise<Page> {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: isHydrated(), ...languageContext() });
  return context.newPage();
}

/** Registers and logs in a fresh requester on `page`; opens a ticket through the API; returns its id and reference. */
async function requesterWithTicket(page: Page, subject: string): Promise<{ id: number; reference: string }> {
  const user = newUser('rater');
  expect((await page.request.post('/api/v1/auth/register', { data: user, headers: sameOrigin() })).status()).toBe(201);
  const login = { login: user.username, password: user.password };
  expect((await page.request.post('/api/v1/auth/login', { data: login, headers: sameOrigin() })).status()).toBe(200);
  const created = await page.request.post('/api/v1/tickets', {
    data: { queue: 'support', category: 'technical_issue', subject, description: 'It does not work.' },
    headers: sameOrigin(),
  });
  expect(created.status()).toBe(201);
  const { ticket } = await created.json();
  return { id: ticket.id, reference: ticket.reference };
}

/** The agent alice, logged in on a page of her own, resolves ticket `id`. */
async function resolvedByAgent(browser: Browser, baseURL: string | undefined, id: number): Promise<Page> {
  const agent = await secondBrowser(browser, baseURL);
  expect((await agent.request.post('/api/v1/auth/login', { data: DEMO.alice, headers: sameOrigin() })).status()).toBe(200);
  const resolved = await agent.request.put(`/api/v1/tickets/${id}/status`, {
    data: { status: 'resolved' },
    headers: sameOrigin(),
  });
  expect(resolved.status()).toBe(200);
  return agent;
}

/**
 * A rating link of the ticket's latest resolution, signed as the server signs
 * them (services/ratings.rs): HMAC-SHA-256 under HMAC-SHA-256(SHA-256(key),
 * "guichet rating link v1") of `r1.{ticket}.{resolution}.{requester}.{expires}`.
 */
async function ratingLink(page: Page, id: number): Promise<string> {
  const detail = await (await page.request.get(`/api/v1/tickets/${id}`)).json();
  const resolution = [...detail.events]
    .reverse()
    .find((event: { action: string; data: { to?: string } }) => event.action === 'status_changed' && event.data.to === 'resolved');
  const expires = Math.floor(Date.parse(resolution.created_at) / 1000) + 30 * 24 * 3600;
  const payload = `r1.${id}.${resolution.id}.${detail.ticket.requester.id}.${expires}`;
  const key = createHash('sha256').update(SECRET_KEY).digest();
  const derived = createHmac('sha256', key).update('guichet rating link v1').digest();
  const signature = createHmac('sha256', derived).update(payload).digest('hex');
  return `/rate/${payload}.${signature}`;
}

test('a requester rates a resolved ticket from its page, changes it, and the agent sees it', async ({ page, browser, baseURL }) => {
  const { id, reference } = await requesterWithTicket(page, `Rate me ${Date.now()}`);
  const agent = await resolvedByAgent(browser, baseURL, id);

  await visit(page, `/tickets/${reference}`);
  await waitForHydration(page);
  const section = page.getByTestId('rating');
  await expect(section.locator('legend')).toHaveText(t('rating_form.question'));
  if (isHydrated()) {
    const found = await seriousViolations(page);
    expect(found, found.join('\n')).toEqual([]);
  }
  await section.getByLabel(scoreLabel(4)).check();
  await section.locator('textarea[name=comment]').fill('Quick and kind, thanks.');
  await section.getByRole('button', { name: t('rating_form.submit') }).click();

  // Back on the ticket (a redirect without JavaScript, in place when hydrated).
  await expect(page).toHaveURL(new RegExp(`/tickets/${reference}`));
  await expect(section.locator('.rating-given')).toHaveAttribute('data-score', '4');
  await expect(section.locator('.rating-comment')).toHaveText('Quick and kind, thanks.');
  await expect(page.locator('.timeline li[data-action=rated]')).toHaveCount(1);

  // Changed within 7 days: the form shows the rating given, and replaces it.
  await expect(section.getByLabel(scoreLabel(4))).toBeChecked();
  await section.getByLabel(scoreLabel(5)).check();
  await section.getByRole('button', { name: t('rating_form.submit') }).click();
  await expect(section.locator('.rating-given')).toHaveAttribute('data-score', '5');
  await expect(page.locator('.timeline li[data-action=rated]')).toHaveCount(2);

  // The agent sees it on the ticket and in the timeline, without a form.
  await visit(agent, `/tickets/${reference}`);
  const seen = agent.getByTestId('rating');
  await expect(seen).toContainText(t('rating_form.requester_rated'));
  await expect(seen.locator('.rating-given')).toHaveAttribute('data-score', '5');
  await expect(seen.locator('form')).toHaveCount(0);
  await expect(agent.locator('.timeline li[data-action=rated]').last()).toContainText('5/5');
  if (isHydrated()) {
    await waitForHydration(agent);
    const found = await seriousViolations(agent);
    expect(found, found.join('\n')).toEqual([]);
  }
});

test("the resolved email's one-click link rates without logging in, then takes a comment", async ({ page, browser, baseURL }) => {
  const { id, reference } = await requesterWithTicket(page, `Rate by email ${Date.now()}`);
  const agent = await resolvedByAgent(browser, baseURL, id);
  const link = await ratingLink(page, id);

  // Someone not logged in (the email opened on a phone, say).
  const visitor = await secondBrowser(browser, baseURL);
  const response = await visitor.goto(`${link}?score=5`);
  expect(response!.status()).toBe(200);
  await expect(visitor.getByTestId('rating-saved')).toBeVisible();
  await expect(visitor.getByLabel(scoreLabel(5))).toBeChecked();
  if (isHydrated()) {
    const found = await seriousViolations(visitor);
    expect(found, found.join('\n')).toEqual([]);
  }
  await visitor.locator('textarea[name=comment]').fill('Thanks from my phone.');
  await visitor.getByRole('button', { name: t('rate_page.save') }).click();
  await expect(visitor.getByTestId('rating-saved')).toBeVisible();
  await expect(visitor.locator('textarea[name=comment]')).toHaveValue('Thanks from my phone.');

  await visit(agent, `/tickets/${reference}`);
  await expect(agent.getByTestId('rating').locator('.rating-comment')).toHaveText('Thanks from my phone.');

  // A link changed by one character: a page that says so, nothing recorded.
  const tampered = link.slice(0, -1) + (link.endsWith('0') ? '1' : '0');
  const refused = await visitor.goto(`${tampered}?score=1`);
  expect(refused!.status()).toBe(404);
  await expect(visitor.getByTestId('rating-link-error')).toBeVisible();
  await visit(agent, `/tickets/${reference}`);
  await expect(agent.getByTestId('rating').locator('.rating-given')).toHaveAttribute('data-score', '5');
});
