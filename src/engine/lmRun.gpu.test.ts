/**
 * A language-model run through the one run loop on the shipped base (what the page's worker does):
 * it trains (the loss falls on its text), reports both held-out losses, posts its tensors at the end,
 * and text sampled from those tensors differs from the base model's while the base model's own text
 * equals greedy generation from the base weights.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, TASK_PRESETS, type RunConfig } from '../config/schema';
import { loadLmTask } from '../tasks/lmTask';
import { testDevice } from '../test/gpu';
import { RunLoop, type RunSink } from './runLoop';
import type { MetricPoint, RunStatus, TensorMap } from './protocol';
import { generateText, mergedWeights } from './lmText';

describe('language-model run on WebGPU', () => {
  it('trains through the run loop, reports both eval losses, and its text differs from the base', async () => {
    const device = await testDevice();
    const cfg: RunConfig = { ...DEFAULT_CONFIG, ...TASK_PRESETS.lm, task: 'lm', seqLen: 32, batch: 2, steps: 12, logEvery: 4, lr: 2 ** -5, lmTargets: [7, 9] };
    const task = await loadLmTask(cfg);
    const points: MetricPoint[] = [];
    const statuses: RunStatus[] = [];
    let weights: TensorMap | null = null;
    const sink: RunSink = { metrics: (_, p) => points.push(...p), status: (_, s) => statuses.push(s), weights: (_, t) => (weights = t) };
    const loop = new RunLoop(device, [{ runId: 'r', config: cfg }], task, sink, {}, 0);
    try {
      await loop.runToEnd();
      await loop.postWeights();
    } finally {
      loop.destroy();
    }
    expect(statuses.at(-1)?.state).toBe('done');
    expect(points.map((p) => p.step)).toEqual([1, 4, 8, 12]);
    for (const p of points) {
      expect(p.evalLosses).toHaveLength(2);
      for (const l of p.evalLosses!) expect(l).toBeGreaterThan(0);
    }
    // the base reads Shakespeare worse than its own KJV, and training on Shakespeare lowers its loss
    expect(points[0].evalLosses![0]).toBeGreaterThan(points[0].evalLosses![1]);
    expect(points.at(-1)!.evalLosses![0]).toBeLessThan(points[0].evalLosses![0]);
    expect(points.at(-1)!.loss).toBeLessThan(points[0].loss);
    expect(weights).not.toBeNull();
    const w: TensorMap = weights!;
    expect(Object.keys(w).sort()).toEqual(['A7', 'A9', 'B7', 'B9']);
    expect(w.B7.some((x) => x !== 0)).toBe(true);

    const prompt = [...new TextEncoder().encode('ROMEO:\n')];
    const req = { prompt, count: 12, temperature: 0, seed: 1 };
    const base = await generateText(device, task.shape, mergedWeights(cfg, task.shape, task.weights, null), req);
    const zeroB = { ...w, B7: new Float32Array(w.B7.length), B9: new Float32Array(w.B9.length) };
    expect(await generateText(device, task.shape, mergedWeights(cfg, task.shape, task.weights, zeroB), req)).toEqual(base);
    const tuned = await generateText(device, task.shape, mergedWeights(cfg, task.shape, task.weights, w), { ...req, count: 40 });
    expect(tuned.slice(0, 12)).not.toEqual(base);
  });
});
