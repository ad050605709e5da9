/**
 * Two real GPU-process crashes in a row (e2e/gpuCrash.ts), in the browser as launched for every test:
 * Chromium then refuses a new adapter for a while (requestAdapter gives null), as it does in a person's
 * browser. Train must end the run failed with that reason (not leave it building) and Run sweep must end
 * the sweep as cancelled, resumable (not leave it running), so that both buttons stay usable.
 */
import { expect, test } from './fixtures';
import { crashGpu, LOST_NOTICE, notices, open, runButton, status, TINY, trainToEnd } from './gpuCrash';

test('with no adapter to be had, Train ends the run failed with the reason and Run sweep ends the sweep resumable; neither stays busy', async ({ page, consoleErrors, browser }) => {
  await open(page, `${TINY}&steps=30&sweep.ranks=1,2&sweep.lr=-5,-5,1`);
  await crashGpu(browser); // the device acquired at start-up
  await expect(notices(page)).toContainText(LOST_NOTICE);
  await trainToEnd(page); // on a second device
  await crashGpu(browser);
  await expect(notices(page)).toContainText(/GPU device was lost[^×]*×[^×]*GPU device was lost/);
  // now requestAdapter gives null: the run must not stay 'building'
  await runButton(page, 'Train').click();
  await expect(status(page)).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
  await expect(status(page)).toContainText('no GPU adapter was found');
  await expect(notices(page)).toContainText('GPU error (no-adapter)');
  await expect(runButton(page, 'Train')).toBeEnabled();
  // a sweep asked for now ends at once (resumable), instead of showing 'running' for ever
  await page.getByRole('button', { name: 'Run sweep' }).click();
  const item = page.getByTestId('sweep-list').locator('li');
  await expect(item).toHaveAttribute('data-state', 'cancelled', { timeout: 30_000 });
  await expect(item.getByRole('button', { name: 'Resume' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeEnabled();
  console.log(`gpu crash, twice: the third device was refused; the run ended ${await status(page).getAttribute('data-state')}: ${await status(page).textContent()}; the sweep ended ${await item.getAttribute('data-state')}`);
  expect(consoleErrors).toEqual([]);
});
