/**
 * Export and import, end to end: train a small run in the page, press Export, unzip the download,
 * check its files, and run the bundle's load_with_peft.py with REAL PEFT (.venv, made by
 * scripts/setup-python.sh): the page's GPU outputs must agree within atol 1e-4 + rtol 1e-3 and the
 * merged weights within 1e-4. Without .venv the PEFT step is skipped with the reason, except in CI.
 * Then the zip is imported back, evaluated and trained further; a malformed file is rejected.
 */
import type { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { expect, test } from './fixtures';
import { checkWithPeft, downloadOf, dropFile } from './bundle';
import { readSafetensors } from '../src/export/safetensors';

const LINK = 'width=32&layers=2&steps=30&batch=16&evalSize=64&logEvery=5&r=4&lora_alpha=8';
const RUN_TIMEOUT = 180_000;

type Point = [number, number | null, number | null];

async function lastRun(page: Page): Promise<{ id: string; label: string; status: string; points: Point[] }> {
  const all = JSON.parse((await page.getByTestId('loss-chart').getAttribute('data-series')) ?? '[]');
  return all[all.length - 1];
}

async function trainSmallRun(page: Page) {
  await page.goto(`/#${LINK}`);
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-state', 'done', { timeout: RUN_TIMEOUT });
  const run = await lastRun(page);
  // Weights arrive just after the status; the Export button waits for them.
  await expect(page.locator(`[data-testid="export-panel"] li[data-run-id="${run.id}"]`)).toHaveAttribute('data-ready', 'true');
  return run;
}

test('Export gives a PEFT bundle that real PEFT loads and agrees with; merged weights and CSV too', async ({ page, consoleErrors }, info) => {
  const run = await trainSmallRun(page);
  const zip = await downloadOf(page, /^Export bundle of run/);
  expect(zip.name).toBe('lora-lab_r4-alpha8-lr2pow-7-initA-seed1.zip');
  const files = unzipSync(zip.bytes);
  expect(Object.keys(files).sort()).toEqual(['README.md', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'base_model.safetensors', 'load_with_peft.py', 'run_config.json', 'test_cases.json', 'toy_task.py', 'train_common.py', 'train_with_peft.py']);
  const adapter = readSafetensors(files['adapter/adapter_model.safetensors'], 'adapter_model.safetensors');
  expect(adapter.metadata?.format).toBe('pt');
  expect(adapter.tensors.get('base_model.model.layers.2.lora_B.weight')!.shape).toEqual([32, 4]);
  const config = JSON.parse(new TextDecoder().decode(files['adapter/adapter_config.json']));
  expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, use_rslora: false, target_modules: ['layers.1', 'layers.2'] });
  const cases = JSON.parse(new TextDecoder().decode(files['test_cases.json']));
  expect(cases.inputs.length).toBeGreaterThanOrEqual(16);
  expect(cases.adapted_outputs.flat().every(Number.isFinite)).toBe(true);
  expect(cases.adapted_outputs).not.toEqual(cases.base_outputs); // the adapter changed something

  const merged = await downloadOf(page, /^Export merged weights of run/);
  expect([...readSafetensors(merged.bytes, merged.name).tensors.keys()]).toEqual(['head.weight', 'layers.0.weight', 'layers.1.weight', 'layers.2.weight']);
  const csv = new TextDecoder().decode((await downloadOf(page, /^Export metrics CSV of run/)).bytes).trim().split('\n');
  expect(csv[0]).toBe('step,loss,eval_loss,accuracy,eval_accuracy,grad_norm,lr,steps_per_sec');
  expect(csv.length - 1).toBe(run.points.length);
  expect(consoleErrors).toEqual([]);

  // Real PEFT, from the bundle's own script.
  checkWithPeft(files, info);
});

test('the exported zip imports back: evaluated, then trained further; a malformed file changes nothing', async ({ page, consoleErrors }) => {
  const run = await trainSmallRun(page);
  const zip = await downloadOf(page, /^Export bundle of run/);
  const picker = page.getByLabel('Import adapter files');

  // A malformed file: one notice naming it, and the settings stay as they were.
  const url = page.url();
  const bad = readFileSync('fixtures/golden/safetensors/bad_shape.safetensors');
  const files = unzipSync(zip.bytes);
  await picker.setInputFiles([
    { name: 'adapter_config.json', mimeType: 'application/json', buffer: Buffer.from(files['adapter/adapter_config.json']) },
    { name: 'bad_shape.safetensors', mimeType: 'application/octet-stream', buffer: bad },
  ]);
  await expect(page.getByTestId("notices")).toContainText(/Import rejected: bad_shape\.safetensors: /);
  await expect(page.getByTestId('notices').locator('.notice')).toHaveCount(1);
  expect(page.url()).toBe(url);
  await expect(page.getByTestId('imported-adapter')).toHaveCount(0);

  // The export itself, from a page set to other adapter settings: they come back from the adapter.
  await page.getByRole('slider', { name: 'Rank r', exact: true }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page).toHaveURL(/[#&]r=5(&|$)/);
  // Dropped anywhere on the page (the file picker above is the keyboard path).
  await dropFile(page, zip.name, zip.bytes);
  await expect(page.getByTestId('imported-adapter')).toContainText('r = 4, lora_alpha = 8');
  await expect(page).toHaveURL(/[#&]r=4(&|$)/);
  await expect(page.getByTestId('notices')).toContainText(`Imported the adapter from ${zip.name}`);

  // Evaluate: the adapter's eval loss is the run's last eval loss (same set, same weights).
  await page.getByRole('button', { name: 'Evaluate on the task' }).click();
  const evaluation = page.getByTestId('import-evaluation');
  await expect(evaluation).toBeVisible({ timeout: 60_000 });
  const adapterLoss = Number(await evaluation.getAttribute('data-adapter'));
  const baseLoss = Number(await evaluation.getAttribute('data-base'));
  const lastEval = run.points[run.points.length - 1][2]!;
  expect(Math.abs(adapterLoss - lastEval)).toBeLessThanOrEqual(1e-4 * lastEval + 1e-6);
  expect(baseLoss).toBeGreaterThan(adapterLoss);

  // Train further: the new run starts where the adapter left off, not from the base model.
  await page.getByRole('button', { name: 'Train further', exact: true }).click();
  await expect.poll(async () => (await lastRun(page)).id).not.toBe(run.id);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-state', 'done', { timeout: RUN_TIMEOUT });
  const further = await lastRun(page);
  expect(further.label).toContain(`(from ${zip.name})`);
  // Eval loss (a fixed held-out set, less noisy than one batch) after its first step: near where the
  // first run ended, far from where it started.
  const [startEval, endEval] = [run.points[0][2]!, run.points[run.points.length - 1][2]!];
  expect(endEval).toBeLessThan(0.9 * startEval);
  expect(further.points[0][2]!).toBeLessThan((startEval + endEval) / 2);
  expect(consoleErrors).toEqual([]);
});
