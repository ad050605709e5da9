/**
 * The page stays responsive and bounded on long runs, in the built page: 100,000 logged points fed to a
 * run through the store (as the engine's metrics messages, in batches) grow the JS heap by little and
 * keep the chart small; and during a real toy training run and a small sweep the main thread's long tasks
 * (a `longtask` PerformanceObserver, buffered, from just before Train is pressed) are counted and printed
 * against the 50 ms goal, and bounded by TASK_BOUND_MS (below: why the goal itself is not asserted).
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { chromiumArgs, launchOptions } from '../scripts/browser.mjs';

// precise heap sizes and a gc() to call before each reading
test.use({ launchOptions: { ...launchOptions(), args: [...chromiumArgs, '--enable-precise-memory-info', '--js-flags=--expose-gc'] } });

const LONG_TASK_MS = 50;
const train = (page: Page) => page.getByRole('region', { name: 'Run', exact: true }).getByRole('button', { name: 'Train', exact: true });

/** Collect every long task's start and duration from the start of the document. */
async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: { start: number; ms: number }[] = [];
    (window as unknown as { longTasks: typeof seen }).longTasks = seen;
    new PerformanceObserver((list) => list.getEntries().forEach((e) => seen.push({ start: e.startTime, ms: e.duration }))).observe({ type: 'longtask', buffered: true });
  });
}

/** Long tasks that started after `since` (performance.now() in the page). */
const longTasksSince = (page: Page, since: number) => page.evaluate((t) => (window as unknown as { longTasks: { start: number; ms: number }[] }).longTasks.filter((x) => x.start >= t).map((x) => x.ms), since);
const now = (page: Page) => page.evaluate(() => performance.now());

async function heapMB(page: Page): Promise<number> {
  return page.evaluate(() => {
    (window as unknown as { gc: () => void }).gc();
    return (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize / 2 ** 20;
  });
}

/** Per chart (Paced.tsx's `paced <name>` measures from `since` to `until`): how many times it drew and its longest draw. */
const chartDraws = (page: Page, since: number, until = Infinity) =>
  page.evaluate(([t, u]) => {
    const by = new Map<string, number[]>();
    for (const m of performance.getEntriesByType('measure')) if (m.name.startsWith('paced ') && m.startTime >= t && m.startTime < u) by.set(m.name.slice(6), [...(by.get(m.name.slice(6)) ?? []), m.duration]);
    return [...by].map(([name, ms]) => `${name} ${ms.length}x, longest ${Math.max(...ms).toFixed(0)} ms`).join('; ');
  }, [since, until] as const);

const summary = (ms: number[]) => `${ms.length} long tasks, longest ${ms.length ? Math.max(...ms).toFixed(0) : 0} ms`;

test('100,000 logged points through the store: the heap and the chart stay small', async ({ page, consoleErrors }) => {
  await watchLongTasks(page);
  await page.goto('/#width=16&layers=1&steps=2&batch=8&evalSize=16&logEvery=1');
  await expect(train(page)).toBeEnabled({ timeout: 60_000 });
  await train(page).click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  const runId = await page.evaluate(() => JSON.parse(document.querySelector('[data-testid="loss-chart"]')!.getAttribute('data-series')!).at(-1).id as string);
  const before = await heapMB(page);
  const t0 = await now(page);
  // 100,000 points after the run's own, 1000 per message, one message per animation frame
  const fed = await page.evaluate(async (id) => {
    const began = performance.now();
    for (let s = 3; s < 100_003; s += 1000) {
      const points = Array.from({ length: 1000 }, (_, i) => ({ step: s + i, loss: 1 / (1 + (s + i) / 1e4), evalLoss: 1.1, gradNorm: 0.5, divergedStep: 0, lr: 1e-3, stepsPerSec: 900 }));
      window.loraLab!.feedMetrics(id, points);
      await new Promise(requestAnimationFrame);
    }
    return performance.now() - began;
  }, runId);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-step', '100002');
  const after = await heapMB(page);
  const long = await longTasksSince(page, t0);
  const kept = await page.evaluate(() => JSON.parse(document.querySelector('[data-testid="loss-chart"]')!.getAttribute('data-series')!).at(-1).points.length as number);
  // the chart draws in its own turn (Paced.tsx), a task or two after the store took the last points
  const longestCurve = () => page.getByTestId('loss-chart').locator('path.series-path').evaluateAll((ps) => Math.max(0, ...ps.map((p) => (p.getAttribute('d') ?? '').split('L').length)));
  await expect.poll(longestCurve).toBeGreaterThan(100);
  const drawn = await longestCurve();
  console.log(`feed 100000 points: ${fed.toFixed(0)} ms; heap ${before.toFixed(1)} -> ${after.toFixed(1)} MB (+${(after - before).toFixed(1)}); kept ${kept} points, longest curve ${drawn} points; ${summary(long)}`);
  expect(kept).toBeLessThanOrEqual(1000);
  expect(drawn).toBeLessThanOrEqual(300);
  expect(after - before).toBeLessThan(5); // 100,000 kept point objects alone would be about 10 MB (estimated, not measured)
  // the long tasks are printed, not bounded, here: 1000 points a frame is 100x what the engine sends
  // (the bound is the next test's, on a real run)
  expect(consoleErrors).toEqual([]);
});

/**
 * The 50 ms goal, on SwiftShader with 2 cores (whose GPU emulation holds both while training):
 * - before the page drew its charts one per task (Paced.tsx) with paths of their own (SeriesPath.tsx):
 *   training 5-9 long tasks, longest 179-240 ms; sweep 2-5, longest 79-151 ms; a trace put the time in
 *   Recharts' synchronous re-renders of every chart at once, and the mount of the five views together.
 * - after, over three runs: training 1-2 long tasks, longest 51-113 ms; sweep 1-2, longest 51-83 ms;
 *   each chart's own draw 15-60 ms at most, the longest the loss chart's or a view's first draw.
 * So the goal is printed against (with each chart's longest draw) and the test fails past TASK_BOUND_MS,
 * which the page before this pacing went past.
 */
const TASK_BOUND_MS = 200;

test('main-thread long tasks during a training run and a small sweep: counted against 50 ms, none past 200 ms', async ({ page, consoleErrors }) => {
  await watchLongTasks(page);
  await page.goto('/#width=32&layers=1&steps=300&batch=16&evalSize=64&logEvery=1&sweep.ranks=1,2&sweep.lr=-6,-5,1');
  await expect(train(page)).toBeEnabled({ timeout: 60_000 });
  await page.waitForTimeout(1000); // past the page's start-up (the sweep's calibration included)
  const t0 = await now(page);
  await train(page).click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  const duringRun = await longTasksSince(page, t0);
  const t1 = await now(page);
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(page.getByTestId('sweep-table').locator('tbody tr')).toHaveCount(4, { timeout: 60_000 });
  await expect(page.getByTestId('sweep-table').locator('tbody tr[data-state="pending"]')).toHaveCount(0, { timeout: 120_000 });
  await expect(page.getByRole('progressbar', { name: 'Sweep progress' })).toHaveCount(0, { timeout: 30_000 });
  const duringSweep = await longTasksSince(page, t1);
  console.log(`chart draws, training run: ${await chartDraws(page, t0, t1).then((x) => x || 'none')}`);
  console.log(`chart draws, sweep: ${await chartDraws(page, t1).then((x) => x || 'none')}`);
  console.log(`long tasks: training run (300 steps, every step logged) ${summary(duringRun)}: [${duringRun.map((x) => x.toFixed(0))}]; sweep (4 runs) ${summary(duringSweep)}: [${duringSweep.map((x) => x.toFixed(0))}]`);
  const over = (ms: number[]) => ms.filter((x) => x > LONG_TASK_MS).length;
  console.log(`over the ${LONG_TASK_MS} ms goal: run ${over(duringRun)}, sweep ${over(duringSweep)}; over the ${TASK_BOUND_MS} ms bound: ${[...duringRun, ...duringSweep].filter((x) => x > TASK_BOUND_MS).length}`);
  expect(duringRun.filter((ms) => ms > TASK_BOUND_MS)).toEqual([]);
  expect(duringSweep.filter((ms) => ms > TASK_BOUND_MS)).toEqual([]);
  expect(consoleErrors).toEqual([]);
});
