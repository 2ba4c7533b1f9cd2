// The admin's catalogue (issue 14, item 7): a refused form shows every reason
// next to its field, with `aria-invalid`, and the summary at the top links to
// each. Runs hydrated and without JavaScript, in both languages.

import { expect, test, type Page } from '@playwright/test';
import { DEMO, confirmAction, expectFieldError, isHydrated, logIn, sameOrigin, t, visit, waitForHydration } from './helpers';

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
  const queue = await freshQueue(page);
  await visit(page, '/admin/catalog');
  const slug = `unused_${Date.now()}`;
  await addCategory(page, slug, `Unused ${Date.now()}`, queue.slug);
  const row = page.locator(`tr[data-category="${slug}"]`);
  await expect(row).toHaveCount(1);

  await confirmAction(page, row, t('common.delete'), t('catalog.delete_confirm'));
  await expect(row).toHaveCount(0);
  await visit(page, '/admin/catalog');
  await expect(page.locator(`tr[data-category="${slug}"]`)).toHaveCount(0);
});

/**
 * Adds a category from the catalogue page (already open) and offers it in
 * `queueSlug` only: the form checks every queue, and a category in the demo
 * queues would show in other tests' forms and screenshots running meanwhile.
 */
async function addCategory(page: Page, slug: string, name: string, queueSlug: string): Promise<void> {
  const form = page.locator('form').filter({ has: page.getByRole('button', { name: t('catalog.add_category_button') }) });
  await form.locator('input[name=slug]').fill(slug);
  await form.locator('input[name=name]').fill(name);
  await form.locator('input[name="queues[]"]').evaluateAll((boxes, only) => {
    for (const box of boxes as HTMLInputElement[]) box.checked = box.value === only;
  }, queueSlug);
  await expect(form.locator('input[name="queues[]"]:checked')).toHaveCount(1);
  await form.getByRole('button', { name: t('catalog.add_category_button') }).click();
}

/** Creates a queue of its own for one test (others share the demo queues); returns its slug and name. */
async function freshQueue(page: Page): Promise<{ slug: string; name: string }> {
  const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
  // Prefixes are 2 to 8 capital letters: the stamp's digits as letters.
  const prefix = [...stamp.slice(-8)].map((digit) => String.fromCharCode(65 + Number(digit))).join('');
  const queue = { slug: `q${stamp}`, name: `Queue ${stamp}` };
  const created = await page.request.post('/api/v1/queues', {
    data: { ...queue, prefix, color: '#3366aa', open_ticket_limit: null, active: true },
    headers: sameOrigin(),
  });
  expect(created.status(), await created.text()).toBe(201);
  return queue;
}

test("an admin sets a queue's categories and default, and a default it does not offer is refused at its field", async ({ page }) => {
  // Issue 14, item 8: each queue has its own categories and default category.
  await logIn(page, DEMO.admin.login, DEMO.admin.password);
  const queue = await freshQueue(page);
  await visit(page, `/admin/catalog?queue=${queue.slug}`);
  const section = page.locator(`section#queue-categories[data-queue="${queue.slug}"]`);
  await expect(section.getByRole('heading', { level: 2 })).toHaveText(t('catalog.queue_categories_title', { queue: queue.name }));
  const box = (slug: string) => section.locator(`input[name="categories[]"][value="${slug}"]`);
  const defaultSelect = section.locator('select[name=default_category]');
  // A new queue offers every category and preselects none.
  await expect(box('order_issue')).toBeChecked();
  await expect(defaultSelect).toHaveValue('');

  await box('order_issue').uncheck();
  await defaultSelect.selectOption('order_issue');
  await section.getByRole('button', { name: t('catalog.save_categories') }).click();
  const reason = section.locator('p.field-error[data-field=default_category]');
  await expect(reason).toHaveText(t('field.default_not_offered'));
  await expect(section.locator('select[name=default_category]')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('.error-summary a[href="#error-default_category"]')).toContainText(t('catalog.default_category'));
  await expect(section.locator('p.field-error[data-field=categories]')).toHaveCount(0);
  // Nothing changed.
  await visit(page, `/admin/catalog?queue=${queue.slug}`);
  await expect(box('order_issue')).toBeChecked();

  await box('order_issue').uncheck();
  await box('payment_issue').uncheck();
  await defaultSelect.selectOption('other');
  await section.getByRole('button', { name: t('catalog.save_categories') }).click();
  await expect(page.locator('.error-summary')).toHaveCount(0);
  await visit(page, `/admin/catalog?queue=${queue.slug}`);
  await expect(box('order_issue')).not.toBeChecked();
  await expect(box('payment_issue')).not.toBeChecked();
  await expect(box('other')).toBeChecked();
  await expect(defaultSelect).toHaveValue('other');

  // The new-ticket form offers only those, the default first.
  await visit(page, '/tickets/new');
  const form = page.locator('main form');
  await form.locator('select[name=queue]').selectOption(queue.slug);
  if (isHydrated()) {
    await expect(form.locator('select[name=category]')).toHaveValue('other');
    await expect(form.locator('select[name=category] option[value=order_issue]')).toHaveCount(0);
  } else {
    const group = form.locator(`select[name=category] optgroup[data-queue="${queue.slug}"]`);
    await expect(group.locator('option[value=other]')).toHaveCount(1);
    await expect(group.locator('option[value=order_issue]')).toHaveCount(0);
  }
});

test("a refused queue row shows the reason at that queue's field, and the summary links to it", async ({ page }) => {
  // Issue 14, item 7: the rows' forms share one server function; the error names its row.
  await logIn(page, DEMO.admin.login, DEMO.admin.password);
  const queue = await freshQueue(page);
  await visit(page, '/admin/catalog');
  const row = page.locator(`tr[data-queue="${queue.slug}"]`);
  // Blank once trimmed: `required` lets it through, the service refuses it.
  await row.locator('input[name=name]').fill('   ');
  await row.getByRole('button', { name: t('common.save') }).click();
  await expectFieldError(page, row, row.locator('input[name=name]'), t('catalog.name'), t('field.name_length'));
  // No other queue's row claims it.
  await expect(page.locator('tr[data-queue] [aria-invalid=true]')).toHaveCount(1);
  await expect(page.locator('tr[data-queue] p.field-error')).toHaveCount(1);
});

test("a refused category row shows the reason at that category's field, and the summary links to it", async ({ page }) => {
  await logIn(page, DEMO.admin.login, DEMO.admin.password);
  const queue = await freshQueue(page);
  await visit(page, '/admin/catalog');
  const slug = `renamed_${Date.now()}`;
  await addCategory(page, slug, `Renamed ${Date.now()}`, queue.slug);
  const row = page.locator(`tr[data-category="${slug}"]`);
  await expect(row).toHaveCount(1);
  await waitForHydration(page);

  await row.locator('input[name=name]').fill('   ');
  await row.getByRole('button', { name: t('common.save') }).click();
  await expectFieldError(page, row, row.locator('input[name=name]'), t('catalog.name'), t('field.name_length'));
  await expect(page.locator('tr[data-category] [aria-invalid=true]')).toHaveCount(1);
});
