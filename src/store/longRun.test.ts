/**
 * A long run through the store: 100,000 logged steps arriving as the worker sends them (batches of 25,
 * about what 100 ms of a fast run logs), for a page run and a sweep run. What the store keeps stays
 * bounded (and so does the run's record, what IndexedDB keeps of it), and the chart's curves stay a
 * few hundred points.
 */
import { describe, expect, it } from 'vitest';
import type { MetricPoint } from '../engine/protocol';
import { createLabStore } from './store';
import { MAX_KEPT_POINTS } from './thinPoints';
import { MAX_PLOT_POINTS, runCurves } from '../ui/chartData';

const STEPS = 100_000;
const BATCH = 25;
const point = (step: number): MetricPoint => ({ step, loss: 1 + Math.sin(step / 500) / (1 + step / 1e4), gradNorm: 0.5, divergedStep: 0, lr: 1e-3, stepsPerSec: 900, evalLoss: 1.1 + 0.1 / (1 + step / 1e4) }); // every logged step is evaluated

describe('a run of 100,000 logged steps in the store', () => {
  it('keeps a bounded number of points; the record and the chart stay small', () => {
    const store = createLabStore();
    store.getState().connect(() => {});
    store.getState().train();
    const runId = store.getState().currentId!;
    let most = 0;
    const t0 = performance.now();
    for (let s = 1; s <= STEPS; s += BATCH) {
      store.getState().receive({ type: 'metrics', runId, points: Array.from({ length: BATCH }, (_, i) => point(s + i)) });
      most = Math.max(most, store.getState().runs[0].points.length);
    }
    const ms = performance.now() - t0;
    const run = store.getState().runs[0];
    const bytes = JSON.stringify(run).length;
    const curves = runCurves(run, 0.6, true, Infinity);
    console.log(`long run: ${STEPS} points in ${STEPS / BATCH} batches (${ms.toFixed(0)} ms) -> ${run.points.length} kept (at most ${most}), record ${(bytes / 1024).toFixed(0)} KiB as JSON, chart ${curves.smooth.length} + ${curves.evalLoss.length} points`);
    expect(most).toBeLessThanOrEqual(MAX_KEPT_POINTS);
    expect(run.points.at(-1)!.step).toBe(STEPS);
    expect(run.status.step).toBe(STEPS);
    expect(bytes).toBeLessThan(300 * 1024);
    expect(curves.smooth.length).toBeLessThanOrEqual(MAX_PLOT_POINTS);
    expect(curves.evalLoss.length).toBeGreaterThan(200);
  });
});
