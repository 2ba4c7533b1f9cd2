// The service-levels page (issue 15, items 2 and 3): an admin defines
// opening hours with a holiday, an SLA for urgent support tickets and an
// escalation threshold; an inverted range is refused at its field. Runs
// hydrated and without JavaScript, in both languages.
//
// The policy and the calendar are deleted at the end: other tests (the
// ticket page's screenshots) show urgent support tickets.

import { expect, test, type Page } from '@playwright/test';
import { DEMO, expectFieldError, isHydrated, logIn, openConfirmation, t, visit } from './helpers';

/** The form whose submit button says `button`. */
function formWith(page: Page, button: string) {
  return page.locator('form').filter({ has: page.getByRole('button', { name: button, exact: true }) });
}

test('an admin defines opening hours, an SLA for urgent support tickets and an escalation rule', async ({ page }) => {
  test.setTimeout(90_000);
  await logIn(page, DEMO.admin.login, DEMO.admin.password);
  await visit(page, '/admin/service-levels');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(t('service_levels.title'));
  await expect(page.getByText(t('service_levels.most_specific_wins'))).toBeVisible();

  const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
  const calendarName = `Office ${stamp}`;
  const newCalendar = () => formWith(page, t('service_levels.add_calendar_button'));
  const fillCalendar = async () => {
    const form = newCalendar();
    await form.locator('input[name=name]').fill(calendarName);
    await form.locator('input[name=time_zone]').fill('Europe/Paris');
    for (const day of ['mon', 'wed', 'thu', 'fri']) await form.locator(`input[name=${day}]`).fill('09:00-12:00, 14:00-18:00');
    await form.locator('textarea[name=holidays]').fill('2026-12-25');
  };

  // An inverted range: refused at Tuesday's field, nothing created.
  await fillCalendar();
  await newCalendar().locator('input[name=tue]').fill('18:00-09:00');
  await newCalendar().getByRole('button', { name: t('service_levels.add_calendar_button') }).click();
  const tuesday = newCalendar().locator('input[name=tue]');
  await expectFieldError(page, newCalendar(), tuesday, t('service_levels.tuesday'), t('field.range_inverted', { range: '18:00–09:00' }));
  // The refused form keeps what was typed (without JavaScript too: the server sends it back).
  await expect(newCalendar().locator('input[name=name]')).toHaveValue(calendarName);
  await expect(newCalendar().locator('input[name=mon]')).toHaveValue('09:00-12:00, 14:00-18:00');
  await expect(newCalendar().locator('textarea[name=holidays]')).toHaveValue('2026-12-25');
  await expect(tuesday).toHaveValue('18:00-09:00');
  await expect(page.locator(`li[data-calendar="${calendarName}"]`)).toHaveCount(0);

  // Corrected: the calendar's card shows its hours and holiday.
  await tuesday.fill('09:00-18:00');
  await newCalendar().getByRole('button', { name: t('service_levels.add_calendar_button') }).click();
  const card = page.locator(`li[data-calendar="${calendarName}"]`);
  await expect(card).toHaveCount(1);
  await expect(card.locator('[data-testid=time-zone]')).toHaveText('Europe/Paris');
  await expect(card.locator('dd[data-day=mon]')).toHaveText('09:00–12:00, 14:00–18:00');
  await expect(card.locator('dd[data-day=tue]')).toHaveText('09:00–18:00');
  await expect(card.locator('dd[data-day=sat]')).toHaveText(t('service_levels.closed'));
  await expect(card.locator('.holidays')).toContainText('2026-12-25');
  await expect(page.locator('.error-summary')).toHaveCount(0);

  // A policy for urgent support tickets on that calendar: 4 h to answer, 1 day 2 h to resolve.
  const policyName = `Urgent support ${stamp}`;
  const newPolicy = formWith(page, t('service_levels.add_policy_button'));
  await newPolicy.locator('input[name=name]').fill(policyName);
  await newPolicy.locator('select[name=queue]').selectOption('support');
  await newPolicy.locator('select[name=priority]').selectOption('urgent');
  await newPolicy.locator('input[name=first_response_minutes]').fill('240');
  await newPolicy.locator('input[name=resolution_minutes]').fill('1560');
  await newPolicy.locator('select[name=calendar_id]').selectOption({ label: calendarName });
  await newPolicy.getByRole('button', { name: t('service_levels.add_policy_button') }).click();
  const row = page.locator(`tr[data-policy="${policyName}"]`);
  await expect(row).toHaveCount(1);
  await expect(row.locator('td').nth(1)).toHaveText(t('priority.urgent'));
  await expect(row.locator('td').nth(2)).toHaveText(t('sla.hours', { hours: 4 }));
  await expect(row.locator('td').nth(3)).toHaveText(`${t('service_levels.one_day')} ${t('sla.hours', { hours: 2 })}`);
  await expect(row.locator('td').nth(4)).toHaveText(calendarName);

  // A calendar in use cannot be deleted: the reason shows on its card.
  const deleteCalendar = t('service_levels.delete_calendar', { name: calendarName });
  const question = await openConfirmation(page, card, deleteCalendar);
  await question.getByRole('button', { name: t('service_levels.delete_confirm'), exact: true }).click();
  await expect(card.locator('[data-testid=delete-error]')).toHaveText(t('errors.calendar_in_use'));

  // An escalation threshold: unanswered tickets escalate after 72 h.
  const rules = page.locator('#escalation-form');
  if (isHydrated()) {
    // The browser's own check of a number field would stop the post; the server's is the one tested.
    await rules.locator('input[name=unanswered_hours]').evaluate((input: HTMLInputElement) => (input.type = 'text'));
    await rules.locator('input[name=unanswered_hours]').fill('seventy');
    await rules.getByRole('button', { name: t('service_levels.save_rules') }).click();
    await expectFieldError(page, rules, rules.locator('input[name=unanswered_hours]'), t('service_levels.unanswered_hours'), t('field.whole_number'));
  }
  await rules.locator('input[name=unanswered_hours]').fill('72');
  await rules.getByRole('button', { name: t('service_levels.save_rules') }).click();
  await expect(page.locator('.error-summary')).toHaveCount(0);
  await visit(page, '/admin/service-levels');
  await expect(page.locator('#escalation-form input[name=unanswered_hours]')).toHaveValue('72');
  const stored = await page.request.get('/api/v1/admin/escalation-rules');
  expect((await stored.json()).unanswered_hours).toBe(72);

  // Clean up: the policy, then the calendar it used.
  const edit = page.locator(`details.edit[data-policy="${policyName}"]`);
  await edit.locator('> summary').click();
  const deletePolicy = t('service_levels.delete_policy', { name: policyName });
  const confirmPolicy = await openConfirmation(page, edit, deletePolicy);
  await confirmPolicy.getByRole('button', { name: t('service_levels.delete_confirm'), exact: true }).click();
  await expect(page.locator(`tr[data-policy="${policyName}"]`)).toHaveCount(0);
  const cardAgain = page.locator(`li[data-calendar="${calendarName}"]`);
  const confirmCalendar = await openConfirmation(page, cardAgain, deleteCalendar);
  await confirmCalendar.getByRole('button', { name: t('service_levels.delete_confirm'), exact: true }).click();
  await expect(page.locator(`li[data-calendar="${calendarName}"]`)).toHaveCount(0);
});

test('an agent reads the service levels, without their forms', async ({ page }) => {
  await logIn(page, DEMO.alice.login, DEMO.alice.password);
  await visit(page, '/admin/service-levels');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(t('service_levels.title'));
  await expect(page.locator('li[data-calendar="24/7"]')).toHaveCount(1);
  await expect(page.locator('dd[data-rule=unanswered]')).toHaveCount(1);
  await expect(page.getByRole('button', { name: t('service_levels.add_calendar_button') })).toHaveCount(0);
  await expect(page.locator('#escalation-form')).toHaveCount(0);
});
