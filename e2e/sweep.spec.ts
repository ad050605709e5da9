/**
 * Sweeps end to end, as a person uses them: a grid from a link, Run sweep, every run finishing, the muA
 * chart (through its data-series attribute), the CSV download, and the sweep still there after a reload;
 * a quick preset with full fine-tuning; a reload in the middle of a sweep and Resume; a grid that does
 * not fit the settings refused with a message naming the axis.
 * SwiftShader trains slowly, so every test uses a tiny task (width 16, one layer, 20 steps).
 */
import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const TINY = 'width=16&layers=1&steps=20&batch=8&evalSize=16&logEvery=5';
const GRID = 'sweep.ranks=1,2&sweep.lr=-6,-4,1';
const SWEEP_TIMEOUT = 200_000;

interface Series {
  name: string;
  points: [number, number | null, string][];
}

/** Open a link and wait until the engine has a GPU (the presets are enabled then). */
async function open(page: Page, hash: string): Promise<void> {
  await page.goto(`/#${hash}`);
  await expect(page.locator('[data-preset]').first()).toBeEnabled({ timeout: 60_000 });
}

async function series(page: Page): Promise<Series[]> {
  return JSON.parse((await page.getByTestId('mua-chart').getAttribute('data-series')) ?? '[]');
}

/** Finished runs of the sweep stored in IndexedDB (-1 while there is none), read in the page. */
function storedProgress(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const open = indexedDB.open('lora-lab-sweeps');
        open.onerror = () => resolve(-1);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('sweeps')) return resolve(-1);
          const get = db.transaction('sweeps', 'readonly').objectStore('sweeps').getAll();
          get.onerror = () => resolve(-1);
          get.onsuccess = () => {
            const rec = get.result[0] as { runs: { status: { state: string } | null }[] } | undefined;
            db.close();
            resolve(rec ? rec.runs.filter((r) => ['done', 'diverged', 'collapsed'].includes(r.status?.state ?? '')).length : -1);
          };
        };
      }),
  );
}

const rows = (page: Page) => page.getByTestId('sweep-table').locator('tbody tr');

/** Wait until the table has n runs and none is pending (each ended ok, diverged or collapsed). */
async function waitForRuns(page: Page, n: number): Promise<void> {
  await expect(rows(page)).toHaveCount(n, { timeout: 60_000 });
  await expect(page.getByTestId('sweep-table').locator('tbody tr[data-state="pending"]')).toHaveCount(0, { timeout: SWEEP_TIMEOUT });
}

test('a 2 ranks x 3 learning rates grid trains, draws, downloads as CSV and survives a reload', async ({ page, consoleErrors }) => {
  await open(page, `${TINY}&${GRID}`);
  await expect(page).toHaveURL(/sweep\.ranks=1,2/); // the sweep stays in the link beside the settings
  await expect(page).toHaveURL(/width=16/);
  await expect(page.getByTestId('sweep-estimate')).toHaveAttribute('data-runs', '6');
  // The time estimate comes from timing a few steps on this device.
  await expect(page.getByTestId('sweep-estimate')).toContainText(/about \d+ s.* steps\/s; 1 batch trained together/, { timeout: 60_000 });
  await expect(page.getByTestId('notices')).toBeEmpty();

  await page.getByRole('button', { name: 'Run sweep' }).click();
  const bar = page.getByRole('progressbar', { name: 'Sweep progress' });
  await expect(bar).toHaveAttribute('aria-valuemax', '6');
  await waitForRuns(page, 6);
  await expect(bar).toHaveCount(0, { timeout: 30_000 }); // the sweep is over
  const states = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-state')));
  expect(states.every((s) => s === 'ok' || s === 'diverged' || s === 'collapsed')).toBe(true);

  const s = await series(page);
  expect(s.map((x) => x.name)).toEqual(['r=1', 'r=2']);
  for (const x of s) {
    expect(x.points.map((p) => p[0])).toEqual([-6, -5, -4]);
    for (const [, loss, outcome] of x.points) if (outcome === 'ok') expect(loss).toBeGreaterThan(0);
  }

  // Clicking a point adds its loss curve.
  await page.getByTestId('mua-chart').locator('circle[aria-label]').first().click();
  await expect(page.getByTestId('sweep-curves')).toHaveAttribute('data-runs', /^\["[^"]+"\]$/);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /as CSV$/ }).first().click()]);
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n');
  expect(lines.length).toBe(7);
  const head = lines[0].split(',');
  expect(head.slice(0, 4)).toEqual(['runId', 'state', 'width', 'layers']);
  expect(head).toContain('finalLoss');
  const r = head.indexOf('r');
  expect(lines.slice(1).map((l) => l.split(',')[r]).sort()).toEqual(['1', '1', '1', '2', '2', '2']);

  await page.reload();
  await expect(page.getByTestId('sweep-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('sweep-list')).toContainText('6 / 6 runs finished');
  await waitForRuns(page, 6);
  expect(await series(page)).toEqual(s);

  // The sweep as JSON, removed, and imported back: the same chart.
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /as JSON$/ }).click()]);
  const text = await readFile(await json.path(), 'utf8');
  await page.getByRole('button', { name: /^Remove sweep/ }).click();
  await expect(page.getByTestId('sweep-list')).toHaveCount(0);
  await page.getByLabel('Import a sweep JSON').setInputFiles({ name: 'sweep.json', mimeType: 'application/json', buffer: Buffer.from(text) });
  await expect(page.getByTestId('sweep-list').locator('li')).toHaveCount(1);
  await expect(rows(page)).toHaveCount(6);
  expect(await series(page)).toEqual(s);
  expect(consoleErrors).toEqual([]);
});

test('a quick preset with full fine-tuning: one series per rank plus FFT, and the finding beside the result', async ({ page, consoleErrors }) => {
  await open(page, TINY);
  await page.getByLabel('Quick').check();
  await page.locator('[data-preset="mua-b1-fft"]').click();
  await waitForRuns(page, 9); // ranks 1 and 16 (the ends that fit width 16) x 3 lrs, plus 3 FFT runs
  const s = await series(page);
  expect(s.map((x) => x.name)).toEqual(['r=1', 'r=16', 'FFT']);
  await expect(page.getByTestId('preset-note')).toContainText('What the source found');
  await expect(page.getByTestId('preset-note')).toContainText(/slope|optimum/);
  await expect(page).toHaveURL(/sweep\.init=initB/);

  // Each chart downloads as SVG and PNG.
  const chart = page.getByRole('region', { name: 'Final loss vs learning rate' });
  const [svg] = await Promise.all([page.waitForEvent('download'), chart.getByRole('button', { name: 'SVG' }).click()]);
  expect(svg.suggestedFilename()).toMatch(/-mua\.svg$/);
  const svgText = await readFile(await svg.path(), 'utf8');
  expect(svgText).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  expect(svgText).toContain('log2(learning rate)');
  const [png] = await Promise.all([page.waitForEvent('download'), chart.getByRole('button', { name: 'PNG' }).click()]);
  expect(png.suggestedFilename()).toMatch(/-mua\.png$/);
  const bytes = await readFile(await png.path());
  expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  expect(bytes.length).toBeGreaterThan(5000);
  expect(consoleErrors).toEqual([]);
});

test('a sweep cut off by a reload keeps its finished runs and resumes the rest', async ({ page, consoleErrors }) => {
  // Three seeds: three batches trained one after another (runs of a batch finish together).
  await open(page, `${TINY.replace('steps=20', 'steps=300')}&sweep.ranks=1,2&sweep.lr=-6,-5,1&sweep.seeds=1,2,3`);
  await page.getByRole('button', { name: 'Run sweep' }).click();
  // Reload the moment IndexedDB holds a finished batch and the sweep still has runs to go. Polling the
  // store (not the progress bar plus a fixed wait) keeps this independent of how fast the machine is.
  await expect.poll(() => storedProgress(page), { timeout: SWEEP_TIMEOUT, intervals: [20] }).toBeGreaterThanOrEqual(4);
  await page.reload();
  const item = page.getByTestId('sweep-list').locator('li');
  await expect(item).toHaveAttribute('data-state', 'interrupted');
  const kept = Number((await item.textContent())!.match(/(\d+) \/ 12 runs finished/)![1]);
  expect(kept).toBeGreaterThanOrEqual(4);
  expect(kept).toBeLessThan(12);
  await expect(rows(page).locator('[data-field="final"]').filter({ hasText: /\d/ })).toHaveCount(kept);
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeEnabled({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Resume' }).click();
  await waitForRuns(page, 12);
  await expect(item).toContainText('12 / 12 runs finished');
  await expect(item).toHaveAttribute('data-state', 'done');
  expect(consoleErrors).toEqual([]);
});

test('a grid that does not fit the settings is refused, naming the axis; a bad sweep file changes nothing', async ({ page, consoleErrors }) => {
  await page.goto('/#width=16');
  await expect(page.getByTestId('sweep-errors')).toContainText('ranks: rank 32 gives an invalid run (r must be an integer in 1..16 (got 32)); change the ranks axis');
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeDisabled();
  // Fixing the axis lifts the refusal.
  await page.getByRole('textbox', { name: 'Ranks' }).fill('1, 4, 16');
  await page.getByRole('textbox', { name: 'Ranks' }).press('Enter');
  await expect(page.getByTestId('sweep-estimate')).toHaveAttribute('data-runs', String(3 * 19));
  await expect(page).toHaveURL(/sweep\.ranks=1,4,16/);
  await page.getByLabel('Import a sweep JSON').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"something else"}') });
  await expect(page.getByTestId('import-error')).toContainText('bad.json: not a LoRA Lab sweep file');
  await expect(page.getByTestId('sweep-list')).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});
