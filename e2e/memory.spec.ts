/**
 * GPU memory in the page: the cost panel's estimate against the bytes the run's trainer allocated (the
 * allocator's count, sent with the run's status), and settings over the stated memory budget refused
 * before anything is allocated, with the number and the settings to lower in the page.
 */
import { expect, test } from './fixtures';

const SMALL = 'width=32&layers=1&steps=10&batch=16&evalSize=64&logEvery=5';
const train = (page: import('@playwright/test').Page) => page.getByRole('region', { name: 'Run', exact: true }).getByRole('button', { name: 'Train', exact: true });

test('the memory estimate is within 10% of what a run allocates; over the budget, Train is refused before allocating, and the budget is kept across a reload', async ({ page, consoleErrors }) => {
  await page.goto(`/#${SMALL}`);
  await expect(train(page)).toBeEnabled({ timeout: 60_000 });
  await train(page).click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  const mem = page.getByTestId('gpu-memory');
  await expect(mem).toHaveAttribute('data-allocated', /^\d+$/);
  const estimate = Number(await mem.getAttribute('data-estimate'));
  const allocated = Number(await mem.getAttribute('data-allocated'));
  console.log(`page memory: estimate ${estimate} B, allocated ${allocated} B, ratio ${(estimate / allocated).toFixed(3)}`);
  expect(estimate / allocated).toBeGreaterThan(0.9);
  expect(estimate / allocated).toBeLessThan(1.1);

  // A wide, big-batch run over a 16 MiB budget: the panel says so, and Train is refused by the engine.
  // (The budget is stated first: the sweep section would otherwise time steps of the big settings.)
  await page.getByLabel('Memory budget (MiB)').fill('16');
  await page.goto(`/#width=1024&batch=1024&evalSize=64&steps=10`);
  const problem = page.getByTestId('memory-problem');
  await expect(problem).toHaveText(/^width 1024 x batch 1024: the buffers need [\d.]+ MiB in all, over the memory budget 16 MiB; lower batch or width$/);
  await train(page).click();
  const status = page.getByTestId('run-status');
  await expect(status).toHaveAttribute('data-state', 'failed', { timeout: 60_000 });
  await expect(status).toContainText('over the memory budget 16 MiB; lower batch or width');
  await expect(mem).toHaveAttribute('data-allocated', '0'); // nothing was allocated
  console.log(`page refusal: ${await status.textContent()}`);

  // The budget is kept across a reload: the field says 16, and the engine refuses the same run again.
  await page.reload();
  await expect(page.getByLabel('Memory budget (MiB)')).toHaveValue('16');
  await expect(problem).toContainText('over the memory budget 16 MiB');
  await expect(train(page)).toBeEnabled({ timeout: 60_000 });
  await train(page).click();
  await expect(status).toHaveAttribute('data-state', 'failed', { timeout: 60_000 });
  await expect(status).toContainText('over the memory budget 16 MiB; lower batch or width');
  expect(consoleErrors).toEqual([]); // no GPU error either
});
