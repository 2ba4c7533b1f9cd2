// The admin's catalogue (issue 14, item 7): a refused form shows every reason
// next to its field, with `aria-invalid`, and the summary at the top links to
// each. Runs hydrated and without JavaScript, in both languages.

import { expect, test } from '@playwright/test';
import { DEMO, confirmAction, logIn, t, visit } from './helpers';

test('a refused new queue shows each reason at its field, and the summary links to it', async ({ page }) => {
  await logIn(page, DEMO.admin.login, DEMO.admin.password);
  await visit(page, '/admin/catalog');
  const form = () => page.locator('form').filter({ has: page.locator('input[name=prefix]') });
  await form().locator('input[name=slug]').fill(`q${Date.now()}`);
  await form().locator('input[name=name]').fill('Billing');
  // Lower case and a digit: not 2 to 8 capital letters.
  await form().locator('input[name=prefix]').fill('b1');
  await form().getByRole('button', { name: t('catalog.add_queue_button') }).click();

  await expect(form().locator('p.field-error[data-field=prefix]')).toBeVisible();
  await expect(form().locator('input[name=prefix]')).toHaveAttribute('aria-invalid', 'true');
  await expect(form().locator('input[name=name]')).not.toHaveAttribute('aria-invalid', 'true');
  const link = page.locator('.error-summary a[href="#error-prefix"]');
  await expect(link).toContainText(t('catalog.prefix'));
  await expect(page.locator('#error-prefix')).toHaveCount(1);
});

test('deleting a category asks first, then removes it', async ({ page }) => {
  // Issue 14, item 8: "Delete" used to act at once.
  await logIn(page, DEMO.admin.login, DEMO.admin.password);
  await visit(page, '/admin/catalog');
  const slug = `unused_${Date.now()}`;
  const name = `Unused ${Date.now()}`;
  const form = page.locator('form').filter({ has: page.getByRole('button', { name: t('catalog.add_category_button') }) });
  await form.locator('input[name=slug]').fill(slug);
  await form.locator('input[name=name]').fill(name);
  await form.getByRole('button', { name: t('catalog.add_category_button') }).click();
  const row = page.locator(`tr[data-category="${slug}"]`);
  await expect(row).toHaveCount(1);

  await confirmAction(page, row, t('common.delete'), t('catalog.delete_confirm'));
  await expect(row).toHaveCount(0);
  await visit(page, '/admin/catalog');
  await expect(page.locator(`tr[data-category="${slug}"]`)).toHaveCount(0);
});
