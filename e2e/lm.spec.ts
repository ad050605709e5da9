/**
 * The language model in the page, as a newcomer uses it: pick "Language model", choose the target
 * modules on the grid, press Train, watch the loss (bits per byte) with both eval losses and a text
 * sample beside the base model's, export the bundle and check it with REAL transformers + PEFT
 * (scripts/interop/check_lm_bundle.py: logits, 50 greedy tokens, merged = unmerged). Also: the user's
 * own text is refused with a reason when it is too short, and used when it is fine.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { expect, test } from './fixtures';
import { downloadOf, dropFile } from './bundle';
import { venvPython, NO_PYTHON } from '../scripts/interop/python.mjs';

const RUN_TIMEOUT = 300_000;
type Series = { id: string; task: string; status: string; points: [number, number, number | null, number | null][] }[];

test('language model: train with a target grid, live samples, both eval losses, export loads in transformers + PEFT', async ({ page, consoleErrors }, info) => {
  test.setTimeout(600_000);
  // a small run for a software GPU: 10 steps of 2 windows of 32 bytes
  await page.goto('/#task=lm&seqLen=32&batch=2&steps=10&logEvery=5&lr=0.03125');
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByLabel('Task', { exact: true })).toHaveValue('lm');
  const grid = page.getByTestId('lm-targets');
  await grid.getByRole('button', { name: 'q, v only' }).click();
  await grid.getByLabel('layer 0', { exact: true }).uncheck();
  await expect(grid.locator('td.on')).toHaveCount(2);
  await expect(page.getByTestId('cost-panel').locator('[data-field="trainable"]')).toHaveText((2 * 8 * (128 + 128)).toLocaleString('en-US'));

  await page.getByRole('button', { name: 'Train', exact: true }).click();
  // a live sample of the training run arrives while it trains
  await expect(page.getByTestId('sample-tuned')).toHaveAttribute('data-step', /^[1-9]/, { timeout: RUN_TIMEOUT });
  // 10 steps on 2 windows: the training loss is too noisy for the end-state rule to read; the eval losses below are the test
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-state', /^(done|collapsed)$/, { timeout: RUN_TIMEOUT });
  const series: Series = JSON.parse((await page.getByTestId('loss-chart').getAttribute('data-series')) ?? '[]');
  const run = series[series.length - 1];
  expect(run.task).toBe('lm');
  expect(run.points.map((p) => p[0])).toEqual([1, 5, 10]);
  for (const p of run.points) {
    expect(p[2]).toBeGreaterThan(0);
    expect(p[3]).toBeGreaterThan(0);
  }
  // the KJV-pretrained base reads held-out Shakespeare worse than held-out KJV; tuning on Shakespeare lowers it
  expect(run.points[0][2]!).toBeGreaterThan(run.points[0][3]!);
  expect(run.points.at(-1)![2]!).toBeLessThan(run.points[0][2]!);
  await expect(page.getByRole('heading', { name: 'Loss (bits per byte)' })).toBeVisible();

  // a generation from the trained run beside the base model's, same prompt and seed
  await page.getByLabel('Temperature').fill('0');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('sample-tuned')).toContainText('ROMEO:', { timeout: 120_000 });
  await expect(page.getByTestId('sample-base')).toContainText('ROMEO:');
  const [base, tuned] = [await page.getByTestId('sample-base').textContent(), await page.getByTestId('sample-tuned').textContent()];
  expect(tuned).not.toEqual(base);

  await expect(page.locator(`[data-testid="export-panel"] li[data-run-id="${run.id}"]`)).toHaveAttribute('data-ready', 'true');
  const zip = await downloadOf(page, /^Export bundle of run/);
  const files = unzipSync(zip.bytes);
  expect(Object.keys(files)).toEqual(expect.arrayContaining(['base/config.json', 'base/model.safetensors', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'test_cases.json', 'load_adapter.py', 'README.md']));
  // the merged weights export (a plain HF model folder, zipped as merged/) goes beside the bundle: the checker loads it too
  const merged = unzipSync((await downloadOf(page, /^Export merged weights of run/)).bytes);
  expect(Object.keys(merged).sort()).toEqual(['merged/config.json', 'merged/generation_config.json', 'merged/model.safetensors']);
  const config = JSON.parse(new TextDecoder().decode(files['adapter/adapter_config.json']));
  expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 8, target_modules: ['q_proj', 'v_proj'], layers_to_transform: [1] });

  // Import the exported zip back: validated against the base, evaluated on both held-out texts (the
  // run's own last eval loss, from merged weights now), then trained further from its factors.
  await dropFile(page, zip.name, zip.bytes);
  await expect(page.getByTestId('notices')).toContainText(`Imported the adapter from ${zip.name}`);
  await page.getByRole('button', { name: 'Evaluate on the task' }).click();
  const evaluation = page.getByTestId('import-evaluation');
  await expect(evaluation).toBeVisible({ timeout: 120_000 });
  const adapterLoss = Number(await evaluation.getAttribute('data-adapter'));
  const baseLoss = Number(await evaluation.getAttribute('data-base'));
  const lastEval = run.points.at(-1)![2]!;
  expect(Math.abs(adapterLoss - lastEval)).toBeLessThanOrEqual(1e-4 * lastEval);
  expect(baseLoss).toBeGreaterThan(adapterLoss);
  await page.getByRole('button', { name: 'Train further', exact: true }).click();
  await expect.poll(async () => (JSON.parse((await page.getByTestId('loss-chart').getAttribute('data-series')) ?? '[]') as Series).at(-1)!.id, { timeout: 60_000 }).not.toBe(run.id);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-state', /^(done|collapsed)$/, { timeout: RUN_TIMEOUT });
  const further = (JSON.parse((await page.getByTestId('loss-chart').getAttribute('data-series')) ?? '[]') as Series).at(-1)!;
  // one step from the adapter reads the held-out text better than one step from the base did
  expect(further.points[0][2]!).toBeLessThan(run.points[0][2]!);
  expect(consoleErrors).toEqual([]);

  const python = venvPython();
  if (!python) {
    if (process.env.CI) throw new Error(`CI must run the transformers + PEFT check, but ${NO_PYTHON}`);
    test.skip(true, NO_PYTHON);
    return;
  }
  const dir = info.outputPath('lm-bundle');
  for (const [path, data] of Object.entries({ ...files, ...merged })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
  const r = spawnSync(python, ['scripts/interop/check_lm_bundle.py', dir], { encoding: 'utf8', timeout: 240_000 });
  const out = `${r.stdout}${r.stderr}`;
  console.log(out);
  expect(r.status, out).toBe(0);
  const line = out.split('\n').find((l) => l.startsWith('{'));
  info.annotations.push({ type: 'transformers + PEFT agreement', description: line ?? '' });
  const res = JSON.parse(line!);
  expect(res).toMatchObject({ ok: true, tokens_equal: true, generated_tokens: 50 });
  expect(res.merged_folder_vs_page_max_abs_diff).toBeLessThan(1e-4); // the page's merged folder, loaded as a plain model
  // the bundle's train_with_peft.py trained the run again in PyTorch: every logged step compared with the page's metrics.csv
  expect(res).toMatchObject({ rerun_logged_steps: 3, rerun_logged_steps_compared: 3 }); // steps 1, 5, 10
  console.log(`train_with_peft.py rerun vs the page's GPU run: losses ${res.rerun_max_loss_rel.toExponential(2)} relative, adapter ${res.rerun_adapter_max_abs_diff.toExponential(2)}`);
});

test("language model: picked from the Task menu with its settings; the user's own text is refused with the reason when too short, used when fine", async ({ page, consoleErrors }) => {
  await page.goto('/');
  await expect(page.getByTestId('samples')).toHaveCount(0);
  await page.getByLabel('Task', { exact: true }).selectOption('lm');
  await expect(page.getByLabel('Batch size', { exact: true })).toHaveValue('4');
  await expect(page.getByTestId('lm-targets').locator('td.on')).toHaveCount(14);
  await expect(page.getByTestId('samples')).toBeVisible();
  await expect(page.getByLabel('Width n', { exact: true })).toHaveCount(0); // the toy's fields are hidden
  expect(page.url()).toContain('task=lm');
  await page.getByLabel('Fine-tuning text', { exact: true }).selectOption('user');
  const box = page.getByTestId('user-text');
  await box.getByLabel('Your text').fill('too short');
  await box.getByRole('button', { name: 'Use this text' }).click();
  await expect(box).toContainText(/the pasted text is 9 bytes; at least \d+ are needed/);
  await box.getByLabel('Your text').fill('All the world is a stage, and all the men and women merely players. '.repeat(60));
  await box.getByRole('button', { name: 'Use this text' }).click();
  await expect(box).toContainText(/Using the pasted text: 4,080 bytes/);
  expect(consoleErrors).toEqual([]);
});

test('language model: the quick attention-only vs all-linear preset at equal budget runs through the batched engine and reports its finding', async ({ page, consoleErrors }) => {
  test.setTimeout(600_000);
  await page.goto('/#task=lm');
  await expect(page.locator('[data-preset="lm-attn-vs-all"]')).toBeEnabled({ timeout: 60_000 });
  await page.getByLabel('Quick').check();
  await page.locator('[data-preset="lm-attn-vs-all"]').click();
  const table = page.getByTestId('sweep-table');
  await expect(table.locator('tbody tr')).toHaveCount(8, { timeout: 60_000 });
  await expect(table.locator('tbody tr[data-state="pending"]')).toHaveCount(0, { timeout: 540_000 });
  await expect(table.locator('tbody tr[data-state="ok"], tbody tr[data-state="collapsed"]')).toHaveCount(8);
  // the finding beside what this sweep shows: which target set wins at equal budget
  const note = page.getByTestId('preset-note');
  await expect(note).toContainText('What the source found');
  await expect(note).toContainText(/q\+v|all/);
  // one dot per run on the learned-vs-forgotten scatter, every loss finite, in bits per byte
  const scatter: { name: string; dots: [number, number, number, boolean][] }[] = JSON.parse((await page.getByTestId('forgetting-chart').getAttribute('data-series')) ?? '[]');
  const dots = scatter.flatMap((s) => s.dots);
  expect(dots).toHaveLength(8);
  for (const [, x, y] of dots) {
    expect(x).toBeGreaterThan(0.5);
    expect(x).toBeLessThan(8);
    expect(y).toBeGreaterThan(0.5);
    expect(y).toBeLessThan(8);
  }
  expect(consoleErrors).toEqual([]);
});
