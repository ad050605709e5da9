/**
 * The training page end to end, as a person uses it: sliders moved with the keyboard, Train pressed,
 * the loss watched through the chart's data-series attribute (the raw logged points of every run).
 * SwiftShader trains slowly, so every test starts from a link with a small task that still learns
 * visibly: width 32, one hidden layer, 60 steps, lr 2^-5 (the loss falls from ~0.9 to ~0.02).
 */
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { fieldServes, FIELDS } from '../src/config/schema';
import { storedRunsWithWeights } from './storedSweep';

/** A link to the small task; lr 2^-5 and 60 steps unless told otherwise. */
const small = ({ lr = 0.03125, steps = 60, more = '' } = {}) => `width=32&layers=1&evalSize=64&lr=${lr}&steps=${steps}&logEvery=5${more}`;
const ENDED = /^(done|diverged|collapsed|stopped|failed)$/;
const RUN_TIMEOUT = 180_000;

interface Series {
  id: string;
  label: string;
  status: string;
  step: number;
  points: [number, number | null, number | null][];
}

async function descriptionOf(control: Locator): Promise<string> {
  return control.evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' '),
  );
}

async function series(page: Page): Promise<Series[]> {
  return JSON.parse((await page.getByTestId('loss-chart').getAttribute('data-series')) ?? '[]');
}

const status = (page: Page) => page.getByTestId('run-status');
/** The settings column (other panels on the page have controls with similar names). */
const settings = (page: Page) => page.getByRole('complementary', { name: 'Settings' });
/** A run button by its exact name (the notices' dismiss buttons also mention "Train"). */
const button = (page: Page, name: string) => page.getByRole('region', { name: 'Run', exact: true }).getByRole('button', { name, exact: true });
const lossChart = (page: Page) => page.getByRole('region', { name: 'Loss chart', exact: true });

async function waitForEnd(page: Page): Promise<string> {
  await expect(status(page)).toHaveAttribute('data-state', ENDED, { timeout: RUN_TIMEOUT });
  return (await status(page).getAttribute('data-state'))!;
}

async function currentStep(page: Page): Promise<number> {
  return Number(await status(page).getAttribute('data-step'));
}

/** Open a link and wait until the engine has a GPU (Train is enabled then). */
async function open(page: Page, hash: string): Promise<void> {
  await page.goto(`/#${hash}`);
  await expect(page.getByTestId('notices')).toBeEmpty(); // every setting in the link was valid
  await expect(button(page, 'Train')).toBeEnabled({ timeout: 60_000 });
}

async function trainToEnd(page: Page): Promise<Series> {
  const before = (await series(page)).length;
  await button(page, 'Train').click();
  await expect.poll(async () => (await series(page)).length).toBeGreaterThan(before);
  await waitForEnd(page);
  const all = await series(page);
  return all[all.length - 1];
}

test('rank set with the keyboard goes into the URL, and Train makes the loss fall', async ({ page, consoleErrors }) => {
  await open(page, small());
  const rank = settings(page).getByRole('slider', { name: 'Rank r' });
  await expect(rank).toHaveValue('8');
  await rank.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  await expect(rank).toHaveValue('9');
  await expect(page).toHaveURL(/[#&]r=9(&|$)/);
  await expect(settings(page).locator('[data-key="r"] output')).toHaveText('9');
  await expect(page.getByTestId('cost-panel')).toContainText('LoRA r=9');

  const run = await trainToEnd(page);
  expect(run.status).toBe('done');
  expect(run.label).toContain('r=9');
  await expect(status(page)).toContainText('done · step 60 / 60');
  const losses = run.points.map((p) => p[1]!);
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(run.points[run.points.length - 1][0]).toBe(60);
  expect(losses[losses.length - 1]).toBeLessThan(0.5 * losses[0]);
  await expect(page.getByTestId('legend')).toContainText('r=9');

  // The chart draws smoothed loss over a faint raw curve, plus the dashed eval loss; smoothing 0 drops the raw copy.
  const curves = page.getByTestId('loss-chart').locator('path.series-path');
  await expect(curves).toHaveCount(3);
  await lossChart(page).getByRole('checkbox', { name: 'Log scale' }).uncheck();
  await expect(curves).toHaveCount(3);
  await lossChart(page).getByRole('slider', { name: 'Smoothing' }).focus();
  await page.keyboard.press('Home');
  await expect(curves).toHaveCount(2);
  expect(consoleErrors).toEqual([]);
});

test('the same link trains to the same losses, bit for bit; finished runs are kept across reloads', async ({ page, consoleErrors }) => {
  const link = small({ more: '&r=4&seed=7' });
  await open(page, link);
  const first = await trainToEnd(page);
  await expect.poll(() => storedRunsWithWeights(page)).toEqual([first.id]);
  await page.reload();
  await expect(button(page, 'Train')).toBeEnabled({ timeout: 60_000 });
  // Finished runs are kept across reloads (IndexedDB), trained weights too: still exportable.
  await expect.poll(() => series(page)).toEqual([first]);
  await expect(page.locator(`[data-testid="export-panel"] li[data-run-id="${first.id}"]`)).toHaveAttribute('data-ready', 'true');
  const second = await trainToEnd(page);
  expect(second.id).not.toBe(first.id);
  expect(first.status).toBe('done');
  expect(second.points.length).toBe(first.points.length);
  // Same config and seed on the same device: identical f32 losses at identical steps.
  expect(second.points).toEqual(first.points);
  // A run taken off the chart stays off after a reload.
  await page.getByTestId('legend').getByRole('button', { name: /^Remove run / }).first().click();
  const ids = async () => (await series(page)).map((x) => x.id);
  await expect.poll(ids).toEqual([second.id]);
  await page.reload();
  await expect.poll(ids).toEqual([second.id]);
  expect(consoleErrors).toEqual([]);
});

test('a link with rank=-3 says so, and the rank control holds a valid value', async ({ page, consoleErrors }) => {
  await page.goto('/#rank=-3');
  const notices = page.getByTestId('notices');
  await expect(notices).toContainText(/\br: "-3" out of range 1\.\.128, clamped to 1/);
  await expect(settings(page).getByRole('slider', { name: 'Rank r' })).toHaveValue('1');
  await expect(page).toHaveURL(/#r=1$/);
  // Dismissing the notice removes it.
  await notices.getByRole('button', { name: /Dismiss/ }).click();
  await expect(notices).toBeEmpty();

  // The query string is read too when there is no hash.
  await page.goto('/?r=-3');
  await expect(page.getByTestId('notices')).toContainText(/\br: "-3"/);
  await expect(settings(page).getByRole('slider', { name: 'Rank r' })).toHaveValue('1');
  expect(consoleErrors).toEqual([]);
});

test('every setting has a control named by its label, with its help shown on hover and focus', async ({ page, consoleErrors }) => {
  // every field of each task (the other task's fields are hidden), the toy's first
  for (const task of ['toy', 'lm'] as const) {
    await page.goto(task === 'toy' ? '/' : '/#task=lm');
    for (const f of FIELDS.filter((x) => fieldServes(x.key, task))) {
      const control = settings(page).getByLabel(f.label, { exact: true });
      await expect(control, f.key).toHaveCount(1);
      await expect(control, f.key).toHaveAttribute('title', f.help);
      // The description is the help, then the allowed range.
      expect(await descriptionOf(control), f.key).toContain(f.help);
    }
  }
  await page.goto('/');
  await expect(settings(page).getByRole('slider', { name: 'lora_alpha' })).toBeVisible();
  await expect(settings(page).getByRole('combobox', { name: 'Init scheme' })).toBeVisible();
  await expect(settings(page).getByRole('group', { name: 'Target layers' }).getByRole('checkbox')).toHaveCount(2);
  await expect(page.getByTestId('alpha-eff')).toHaveText('α_eff = α/r = 1 · s = 1');

  const help = settings(page).locator('[data-key="lr"] [role="tooltip"]');
  await expect(help).toBeHidden();
  await settings(page).getByRole('slider', { name: 'Learning rate' }).focus();
  await expect(help).toBeVisible();
  await settings(page).getByRole('spinbutton', { name: 'Seed' }).hover();
  await expect(settings(page).locator('[data-key="seed"] [role="tooltip"]')).toBeVisible();
  expect(consoleErrors).toEqual([]);
});

test('a typed value out of range is refused with a message naming the field and range', async ({ page, consoleErrors }) => {
  await page.goto('/');
  const width = settings(page).getByRole('spinbutton', { name: 'Width n' });
  await width.fill('5000');
  await width.press('Enter');
  await expect(settings(page).locator('[data-key="width"] .field-error')).toHaveText('width must be an integer in 16..1024 (got 5000)');
  await expect(page).not.toHaveURL(/width=/);
  await width.fill('64');
  await width.press('Tab');
  await expect(settings(page).locator('[data-key="width"] .field-error')).toHaveCount(0);
  await expect(page).toHaveURL(/#width=64$/);
  await expect(settings(page).locator('[data-key="r"] .range')).toHaveText('1..64');
  expect(consoleErrors).toEqual([]);
});

test('a learning rate of 2^4 is marked diverged or collapsed, and the page keeps working', async ({ page, consoleErrors }) => {
  await open(page, small({ lr: 16 }));
  await expect(settings(page).locator('[data-key="lr"] output')).toHaveText('2^4 = 1.6e1');
  const bad = await trainToEnd(page);
  expect(['diverged', 'collapsed']).toContain(bad.status);
  await expect(status(page)).toContainText(/diverged at step \d+|collapsed/);
  await expect(page.getByTestId('legend')).toContainText(/— (diverged at step \d+|collapsed)/);

  // Back to a sane learning rate with the keyboard: 2^4 -> 2^-5 is 18 half steps.
  const lr = settings(page).getByRole('slider', { name: 'Learning rate' });
  await lr.focus();
  for (let i = 0; i < 18; i++) await page.keyboard.press('ArrowLeft');
  await expect(settings(page).locator('[data-key="lr"] output')).toHaveText('2^-5 = 3.1e-2');
  const good = await trainToEnd(page);
  expect(good.status).toBe('done');
  expect(good.points[good.points.length - 1][1]!).toBeLessThan(0.5 * good.points[0][1]!);
  expect((await series(page)).map((s) => s.status)).toEqual([bad.status, 'done']);
  // The diverged run can be taken off the chart.
  await page.getByTestId('legend').getByRole('button', { name: /^Remove run .*— (diverged|collapsed)/ }).click();
  expect((await series(page)).map((s) => s.id)).toEqual([good.id]);
  expect(consoleErrors).toEqual([]);
});

test('pause, then Step advances the step counter by one', async ({ page, consoleErrors }) => {
  await open(page, small({ steps: 50000 }));
  await button(page, 'Train').click();
  await expect(status(page)).toHaveAttribute('data-state', 'running', { timeout: 60_000 });
  await expect.poll(() => currentStep(page), { timeout: 60_000 }).toBeGreaterThan(0);
  await button(page, 'Pause').click();
  await expect(status(page)).toHaveAttribute('data-state', 'paused');
  await expect(button(page, 'Resume')).toBeEnabled();
  const k = await currentStep(page);
  await expect(status(page)).toContainText(`paused · step ${k} / 50000`);
  await button(page, 'Step').click();
  await expect(status(page)).toHaveAttribute('data-step', String(k + 1));
  await expect(status(page)).toHaveAttribute('data-state', 'paused');
  await button(page, 'Step').click();
  await expect(status(page)).toHaveAttribute('data-step', String(k + 2));
  // A single step logs its loss, so the chart's last point is that step.
  const run = (await series(page))[0];
  expect(run.points[run.points.length - 1][0]).toBe(k + 2);

  await button(page, 'Resume').click();
  await expect(status(page)).toHaveAttribute('data-state', 'running');
  await button(page, 'Reset').click();
  await expect(status(page)).toHaveAttribute('data-state', 'idle');
  await expect(page.getByTestId('legend')).toContainText('stopped at step');
  expect(consoleErrors).toEqual([]);
});

test('a live setting (lr) changes mid-run without a reset; a rank change resets, with a notice', async ({ page, consoleErrors }) => {
  await open(page, small({ steps: 50000 }));
  await button(page, 'Train').click();
  await expect.poll(() => currentStep(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(5);
  const id = (await series(page))[0].id;

  const lr = settings(page).getByRole('slider', { name: 'Learning rate' });
  await lr.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(page).toHaveURL(/lr=0\.02209/); // 2^-5.5
  const k = await currentStep(page);
  await expect.poll(() => currentStep(page), { timeout: 60_000 }).toBeGreaterThan(k + 5);
  await expect(status(page)).toHaveAttribute('data-state', 'running');
  const runs = await series(page);
  expect(runs.map((r) => r.id)).toEqual([id]);
  expect(runs[0].label).toContain('lr=2^-5.5');
  await expect(page.getByTestId('notices')).toBeEmpty();

  const rank = settings(page).getByRole('slider', { name: 'Rank r' });
  await rank.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('notices')).toContainText(/r changed: the run was reset \(step [1-9]\d* kept on the chart\)/);
  await expect(status(page)).toHaveAttribute('data-state', 'stopped');
  await expect(button(page, 'Train')).toBeEnabled();
  expect(consoleErrors).toEqual([]);
});
