/**
 * Two tabs of one browser share the kept sweeps (one IndexedDB): a sweep training in one tab shows in
 * the other as training elsewhere, with no Resume (its runs would train twice), and that tab reads it
 * again when the first lets it go: as it ended (cancelled), or interrupted when the first tab closed,
 * and then it can be resumed there.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const SWEEP = '/#width=16&layers=1&batch=8&evalSize=16&logEvery=5&steps=100000&sweep.ranks=1,2&sweep.lr=-5,-5,1';
const item = (page: Page) => page.getByTestId('sweep-list').locator('li');

async function startSweep(page: Page): Promise<void> {
  await page.goto(SWEEP);
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeEnabled({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(item(page)).toHaveAttribute('data-state', 'running');
}

test('a sweep training in one tab is not resumable in another; that tab reads it again when it is cancelled', async ({ page, consoleErrors, context }) => {
  await startSweep(page);
  const other = await context.newPage();
  await other.goto('/');
  await expect(item(other)).toHaveAttribute('data-state', 'elsewhere', { timeout: 30_000 });
  await expect(item(other)).toContainText('training in another tab');
  await expect(item(other).getByRole('button', { name: 'Resume' })).toHaveCount(0);

  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(item(page)).toHaveAttribute('data-state', 'cancelled', { timeout: 30_000 });
  // no reload: the other tab took the lock as soon as it was let go, and read the sweep as cancelled
  await expect(item(other)).toHaveAttribute('data-state', 'cancelled', { timeout: 30_000 });
  await expect(item(other).getByRole('button', { name: 'Resume' })).toHaveCount(1);
  console.log('two tabs: the second tab showed the sweep as training in another tab, with no Resume, then as cancelled with Resume');
  expect(consoleErrors).toEqual([]);
  await other.close();
});

test('when the tab training a sweep closes, another tab shows it interrupted and resumes it', async ({ page, context }) => {
  await startSweep(page);
  const other = await context.newPage();
  const errors: string[] = [];
  other.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await other.goto('/');
  await expect(item(other)).toHaveAttribute('data-state', 'elsewhere', { timeout: 30_000 });
  await page.close(); // the browser drops the closed tab's lock
  await expect(item(other)).toHaveAttribute('data-state', 'interrupted', { timeout: 30_000 });
  await item(other).getByRole('button', { name: 'Resume' }).click();
  await expect(item(other)).toHaveAttribute('data-state', 'running');
  await expect(item(other)).toContainText('0 / 2 runs finished');
  expect(errors).toEqual([]);
});
