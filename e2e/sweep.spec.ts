/**
 * Sweeps end to end, as a person uses them: a grid from a link, Run sweep, every run finishing, the muA
 * chart (through its data-series attribute), the CSV download, and the sweep still there after a reload;
 * a run of a sweep exported (after a reload) and checked with real PEFT; a quick preset with full
 * fine-tuning; a reload in the middle of a sweep and Resume; a grid that does not fit the settings
 * refused with a message naming the axis.
 * SwiftShader trains slowly, so every test uses a tiny task (width 16, one layer, 20 steps).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { expect, test } from './fixtures';
import { checkWithPeft, downloadOf } from './bundle';
import { readSafetensors } from '../src/export/safetensors';
import { NO_PYTHON, venvPython } from '../scripts/interop/python.mjs';
import { storedSweepRuns } from './storedSweep';

const TINY = 'width=16&layers=1&steps=20&batch=8&evalSize=16&logEvery=5';
const GRID = 'sweep.ranks=1,2&sweep.lr=-6,-4,1';
const SWEEP_TIMEOUT = 200_000;

interface Series {
  name: string;
  points: [number, number | null, string][];
  optimum: { x: number; reliable: boolean } | null;
}

/** Open a link and wait until the engine has a GPU (the presets are enabled then). */
async function open(page: Page, hash: string): Promise<void> {
  await page.goto(`/#${hash}`);
  await expect(page.locator('[data-preset]').first()).toBeEnabled({ timeout: 60_000 });
}

async function series(page: Page): Promise<Series[]> {
  return JSON.parse((await page.getByTestId('mua-chart').getAttribute('data-series')) ?? '[]');
}


const rows = (page: Page) => page.getByTestId('sweep-table').locator('tbody tr');

/** Wait until IndexedDB holds n finished runs (the store writes each finished run's record asynchronously). */
async function waitStored(page: Page, n: number): Promise<void> {
  await expect.poll(() => storedSweepRuns(page, true), { timeout: 30_000 }).toBe(n);
}

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
  expect(head.slice(0, 4)).toEqual(['runId', 'state', 'task', 'width']);
  expect(head).toContain('finalLoss');
  const r = head.indexOf('r');
  expect(lines.slice(1).map((l) => l.split(',')[r]).sort()).toEqual(['1', '1', '1', '2', '2', '2']);

  await waitStored(page, 6);
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
  // A sweep file holds no trained weights: its runs cannot be exported, and the panel says why.
  await rows(page).first().getByRole('checkbox').check();
  await expect(page.getByTestId('sweep-export').locator('li')).toHaveAttribute('data-ready', 'false');
  await expect(page.getByTestId('sweep-export').getByRole('button', { name: /^Export bundle of sweep run/ })).toHaveAttribute('title', /imported sweep has none|diverged/);
  expect(consoleErrors).toEqual([]);
});

test('a sweep over the default learning-rate range shows what a working sweep shows', async ({ page }) => {
  // ranks 2 and 4 on the default range of log2 lr (-10 .. -1, here in whole octaves); batches of 64
  // keep the logged losses' noise below the differences between neighbouring rates
  await open(page, 'width=16&layers=1&steps=60&batch=64&evalSize=64&logEvery=5&sweep.ranks=2,4&sweep.lr=-10,-1,1');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await waitForRuns(page, 20);
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /as JSON$/ }).click()]);
  const doc = JSON.parse(await readFile(await json.path(), 'utf8')) as {
    runs: { axes: { rank: number; log2lr: number }; status: { state: string }; summary: { finalLoss: number | string | null }; points: [number, number][] }[];
  };
  const chart = await series(page);
  const table = await rows(page).evaluateAll((trs) =>
    trs.map((tr) => ({ r: Number(tr.querySelector('[data-field="r"]')!.textContent), lr: Number(tr.querySelector('[data-field="lr"]')!.textContent), final: Number(tr.querySelector('[data-field="final"]')!.textContent), state: tr.getAttribute('data-state') })),
  );
  for (const rank of [2, 4]) {
    const runs = doc.runs.filter((r) => r.axes.rank === rank).sort((a, b) => a.axes.log2lr - b.axes.log2lr);
    expect(runs.map((r) => r.axes.log2lr)).toEqual([-10, -9, -8, -7, -6, -5, -4, -3, -2, -1]);
    // the lowest learning rates train: they end ok, below the loss they started from
    for (const r of runs.slice(0, 2)) {
      expect(r.status.state, `r=${rank} log2 lr ${r.axes.log2lr}`).toBe('done');
      expect(Number(r.summary.finalLoss), `r=${rank} log2 lr ${r.axes.log2lr}`).toBeLessThan(r.points[0][1]);
    }
    // an interior optimum: the best final loss is neither at the lowest nor at the highest rate
    const ok = runs.filter((r) => r.status.state === 'done');
    const best = ok.reduce((a, b) => (Number(b.summary.finalLoss) < Number(a.summary.finalLoss) ? b : a));
    expect(best.axes.log2lr, `r=${rank}: best at 2^${best.axes.log2lr}`).toBeGreaterThan(-10);
    expect(best.axes.log2lr).toBeLessThan(-1);
    // and the runs past it do worse (they slow down, collapse or diverge)
    expect(runs.some((r) => r.axes.log2lr > best.axes.log2lr && (r.status.state !== 'done' || Number(r.summary.finalLoss) > Number(best.summary.finalLoss)))).toBe(true);
    // the chart's optimum (a parabola fit) sits within an octave of the table's best run
    const tableBest = table.filter((t) => t.r === rank && t.state === 'ok').reduce((a, b) => (b.final < a.final ? b : a));
    expect(tableBest.lr).toBe(best.axes.log2lr);
    const opt = chart.find((c) => c.name === `r=${rank}`)!.optimum;
    expect(opt, `r=${rank} has an optimum on the chart`).not.toBeNull();
    expect(Math.abs(opt!.x - tableBest.lr), `r=${rank}: chart optimum 2^${opt!.x} vs table best 2^${tableBest.lr}`).toBeLessThanOrEqual(1);
  }
  // carrying the learning rate to another rank needs at least 3 ranks' optima: with two, the panel says why there is no prediction
  const transfer = JSON.parse((await page.getByTestId('lr-transfer').getAttribute('data-prediction'))!) as { fromRule: number | null; reason: string | null }[];
  expect(transfer.length).toBeGreaterThan(0);
  expect(transfer[0].fromRule).toBeNull();
  expect(transfer[0].reason).toMatch(/at least 3 ranks/);
});

test('a sweep run picked in the table exports as a PEFT bundle after a reload, and real PEFT agrees with it', async ({ page, consoleErrors }, info) => {
  await open(page, `${TINY.replace('steps=20', 'steps=30')}&sweep.ranks=2,3&sweep.lr=-5,-5,1`);
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await waitForRuns(page, 2);
  await waitStored(page, 2);
  await page.reload(); // trained tensors are kept in IndexedDB, not in the page
  await waitForRuns(page, 2);
  const exportPanel = page.getByTestId('sweep-export');
  await expect(exportPanel).toContainText('Tick a run');
  const row = rows(page).filter({ has: page.locator('[data-field="r"]', { hasText: /^3$/ }) });
  await expect(row).toHaveAttribute('data-state', 'ok');
  const runId = (await row.getAttribute('data-run-id'))!;
  await row.getByRole('checkbox').check();
  await expect(exportPanel.locator(`li[data-run-id="${runId}"]`)).toHaveAttribute('data-ready', 'true');

  const zip = await downloadOf(page, new RegExp(`^Export bundle of sweep run ${runId}$`));
  expect(zip.name).toMatch(/^lora-lab_r3-alpha[\d.]+-lr2pow-5-initA-seed1\.zip$/);
  const files = unzipSync(zip.bytes);
  expect(Object.keys(files).sort()).toEqual(['README.md', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'base_model.safetensors', 'load_with_peft.py', 'run_config.json', 'test_cases.json', 'toy_task.py', 'train_common.py', 'train_with_peft.py']);
  const config = JSON.parse(new TextDecoder().decode(files['adapter/adapter_config.json']));
  expect(config).toMatchObject({ peft_type: 'LORA', r: 3, target_modules: ['layers.1'] });
  const adapter = readSafetensors(files['adapter/adapter_model.safetensors'], 'adapter_model.safetensors');
  expect(adapter.tensors.get('base_model.model.layers.1.lora_A.weight')!.shape).toEqual([3, 16]);
  expect(adapter.tensors.get('base_model.model.layers.1.lora_B.weight')!.shape).toEqual([16, 3]);
  const cases = JSON.parse(new TextDecoder().decode(files['test_cases.json']));
  expect(cases.adapted_outputs.flat().every(Number.isFinite)).toBe(true);
  expect(cases.adapted_outputs).not.toEqual(cases.base_outputs); // the trained adapter changes the outputs
  const merged = await downloadOf(page, new RegExp(`^Export merged weights of sweep run ${runId}$`));
  expect([...readSafetensors(merged.bytes, merged.name).tensors.keys()]).toEqual(['head.weight', 'layers.0.weight', 'layers.1.weight']);
  expect(consoleErrors).toEqual([]);
  checkWithPeft(files, info);
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
  await expect.poll(() => storedSweepRuns(page, true), { timeout: SWEEP_TIMEOUT, intervals: [20] }).toBeGreaterThanOrEqual(4);
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
  await expect(page.getByTestId('notices')).toContainText('Sweep import rejected: bad.json: not a LoRA Lab sweep file');
  await expect(page.getByTestId('sweep-list')).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});

test('a sweep exported as a PyTorch grid trains in PyTorch + PEFT, and its results.csv imports back beside the page sweep', async ({ page, consoleErrors }, info) => {
  const python = venvPython();
  if (!python) throw new Error(`the PyTorch grid check needs the pinned Python environment: ${NO_PYTHON}`);
  await open(page, `${TINY}&sweep.ranks=1,2&sweep.lr=-6,-5,1`);
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await waitForRuns(page, 4);
  await expect(page.getByRole('progressbar', { name: 'Sweep progress' })).toHaveCount(0, { timeout: 30_000 });
  const mine = await series(page);
  // the comparison below means something only if runs trained: most of this grid must end ok
  expect(mine.flatMap((s) => s.points).filter((p) => p[2] === 'ok').length).toBeGreaterThanOrEqual(2);

  const grid = await downloadOf(page, /as a PyTorch grid$/);
  expect(grid.name).toMatch(/_pytorch-grid\.zip$/);
  const dir = info.outputPath('grid');
  for (const [path, data] of Object.entries(unzipSync(grid.bytes))) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
  const out = join(dir, 'out');
  const r = spawnSync(python, ['sweep_with_peft.py', '--out', out], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  const csv = readFileSync(join(out, 'results.csv'), 'utf8');
  expect(csv.trim().split('\n').length).toBe(5);

  await page.getByLabel('Import a sweep JSON or CSV').setInputFiles({ name: 'results.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('sweep-list').locator('li')).toHaveCount(2);
  await expect(page.getByTestId('sweep-list')).toContainText('results · imported · 4 / 4 runs finished');
  await expect(rows(page)).toHaveCount(4);
  // PyTorch's runs give the page's curves: the same outcomes, final losses within 1e-3 relative.
  const theirs = await series(page);
  expect(theirs.map((s) => s.name)).toEqual(mine.map((s) => s.name));
  let worst = 0;
  theirs.forEach((s, i) =>
    s.points.forEach(([x, loss, outcome], k) => {
      const [mx, mloss, moutcome] = mine[i].points[k];
      expect([x, outcome]).toEqual([mx, moutcome]);
      if (outcome === 'ok') worst = Math.max(worst, Math.abs(loss! - mloss!) / Math.abs(mloss!));
    }),
  );
  console.log(`PyTorch grid vs page sweep: ${theirs.flatMap((s) => s.points).length} final losses, worst relative difference ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(1e-3);
  // Drawn beside the page's own sweep: both sweeps' curves on one chart, each sweep's names marked.
  const pageSweep = (await page.getByTestId('sweep-list').locator('li[data-state="done"] button.link').textContent())!;
  await page.getByLabel('Compare with another sweep').selectOption({ label: pageSweep });
  const both = await series(page);
  expect(both.map((s) => s.name)).toEqual([...mine.map((s) => `${s.name} · this sweep`), ...mine.map((s) => `${s.name} · ${pageSweep}`)]);
  expect(both.slice(mine.length).map((s) => s.points)).toEqual(mine.map((s) => s.points));
  expect(consoleErrors).toEqual([]);
});
