/**
 * Two real GPU-process crashes in a row (e2e/gpuCrash.ts), in the browser as launched for every test:
 * Chromium then refuses a new adapter for a while (requestAdapter gives null), as it does in a person's
 * browser. Train must end the run failed with that reason (not leave it building) and Run sweep must end
 * the sweep as cancelled, resumable (not leave it running), so that both buttons stay usable;
 * the notice says to reload, and after a reload the page trains again.
 */
import { expect, test } from './fixtures';
import { crashGpu, LOST_NOTICE, notices, open, reloadAfterCrash, runButton, series, status, TINY, trainToEnd } from './gpuCrash';

test('with no adapter to be had after two crashes, Train ends the run failed saying to reload and Run sweep ends the sweep resumable; after a reload the page trains', async ({ page, consoleErrors, browser }) => {
  await open(page, `${TINY}&steps=30&sweep.ranks=1,2&sweep.lr=-5,-5,1`);
  await crashGpu(browser); // the device acquired at start-up
  await expect(notices(page)).toContainText(LOST_NOTICE);
  const first = await trainToEnd(page); // on a second device
  // the page shows a notice once while it is up: dismiss the first loss's, so the second loss's is seen
  await notices(page).getByRole('button', { name: /^Dismiss: GPU error \(device-lost\)/ }).click();
  await expect(notices(page)).not.toContainText(LOST_NOTICE);
  await crashGpu(browser);
  await expect(notices(page)).toContainText(LOST_NOTICE);
  // now requestAdapter gives null: the run must not stay 'building'
  await runButton(page, 'Train').click();
  await expect(status(page)).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
  await expect(status(page)).toContainText('no new GPU adapter since the GPU device was lost');
  await expect(status(page)).toContainText('reload the page');
  await expect(notices(page)).toContainText('GPU error (no-adapter)');
  await expect(runButton(page, 'Train')).toBeEnabled();
  // a sweep asked for now ends at once (resumable), instead of showing 'running' for ever
  await page.getByRole('button', { name: 'Run sweep' }).click();
  const item = page.getByTestId('sweep-list').locator('li');
  await expect(item).toHaveAttribute('data-state', 'cancelled', { timeout: 30_000 });
  await expect(item.getByRole('button', { name: 'Resume' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeEnabled();
  // as the notice says: after a reload the page has a GPU again, and the finished run is still there
  const figure = `the run ended ${await status(page).getAttribute('data-state')}: ${await status(page).textContent()}; the sweep ended ${await item.getAttribute('data-state')}`;
  await reloadAfterCrash(page);
  await expect(runButton(page, 'Train')).toBeEnabled({ timeout: 60_000 });
  const next = await trainToEnd(page);
  expect((await series(page)).map((s) => s.id)).toContain(first.id);
  console.log(`gpu crash, twice: the third device was refused; ${figure}; after a reload run ${next.id} trained to step ${next.points.at(-1)![0]}`);
  expect(consoleErrors).toEqual([]);
});
