/** Shared by the GPU-crash e2e tests: crash the GPU process, and drive and read the training page. */
import type { Browser, Page } from '@playwright/test';
import { expect } from './fixtures';

export const TINY = 'width=16&layers=1&batch=8&evalSize=16&logEvery=5';
/** What the page must say after a loss: that the GPU was lost, and what to do next. */
export const LOST_NOTICE = /GPU device was lost \(.*\)\. Finished runs are kept; press Train, Resume, Export or Evaluate again/;

/**
 * Crash the browser's GPU process (Chromium restarts it; every GPUDevice of the page is lost), and make
 * sure it happened: the GPU process id must change. Resolves with the number of crash requests sent (a
 * request that left the same process running is sent again, at most 3 times, and reported).
 */
export async function crashGpu(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  const gpuPid = async () => (await cdp.send('SystemInfo.getProcessInfo')).processInfo.find((p) => p.type === 'GPU')?.id;
  try {
    for (let sent = 1; sent <= 3; sent++) {
      const before = await gpuPid();
      await cdp.send('Browser.crashGpuProcess');
      for (let t = 0; t < 50; t++) {
        if ((await gpuPid()) !== before) {
          if (sent > 1) console.log(`the GPU process crashed on crash request ${sent}`);
          return sent;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('Browser.crashGpuProcess left the GPU process running, 3 times');
  } finally {
    await cdp.detach();
  }
}

export const status = (page: Page) => page.getByTestId('run-status');
export const runButton = (page: Page, name: string) => page.getByRole('region', { name: 'Run', exact: true }).getByRole('button', { name, exact: true });
export const notices = (page: Page) => page.getByTestId('notices');

export interface Series {
  id: string;
  status: string;
  points: [number, number | null, number | null][];
}
export async function series(page: Page): Promise<Series[]> {
  return JSON.parse((await page.getByTestId('loss-chart').getAttribute('data-series')) ?? '[]');
}

export async function open(page: Page, hash: string): Promise<void> {
  await page.goto(`/#${hash}`);
  await expect(runButton(page, 'Train')).toBeEnabled({ timeout: 60_000 });
}

/** Train the page's settings to the end; the finished run, with its weights on the page. */
export async function trainToEnd(page: Page): Promise<Series> {
  const before = (await series(page)).map((s) => s.id);
  await runButton(page, 'Train').click();
  await expect.poll(async () => (await series(page)).filter((s) => !before.includes(s.id)).length).toBe(1);
  await expect(status(page)).toHaveAttribute('data-state', /^(done|diverged|collapsed|stopped|failed)$/, { timeout: 60_000 });
  const run = (await series(page)).find((s) => !before.includes(s.id))!;
  expect(run.status).toBe('done');
  await expect(page.locator(`[data-testid="export-panel"] li[data-run-id="${run.id}"]`)).toHaveAttribute('data-ready', 'true');
  return run;
}

/**
 * Reload the page after a GPU crash. Chromium at times aborts that navigation (net::ERR_ABORTED) while
 * it settles the restarted GPU process; it is tried once more then, and a second abort fails the test.
 */
export async function reloadAfterCrash(page: Page): Promise<void> {
  try {
    await page.reload();
  } catch (e) {
    if (!String(e).includes('ERR_ABORTED')) throw e;
    console.log('the reload after a GPU crash was aborted by the browser; reloading again');
    await page.reload();
  }
}
