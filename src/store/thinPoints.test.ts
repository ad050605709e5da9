import { describe, expect, it } from 'vitest';
import { appendPoints, MAX_KEPT_POINTS, type KeptPoints } from './thinPoints';
import type { MetricPoint } from '../engine/protocol';

const point = (step: number): MetricPoint => ({ step, loss: 1 / step, gradNorm: 1, divergedStep: 0, lr: 1e-3, stepsPerSec: 100, evalLoss: step % 50 === 0 ? 1 / step : undefined });

describe('points kept as they arrive', () => {
  it('keeps every point of a short run', () => {
    const k = appendPoints({ points: [], bucket: 1 }, Array.from({ length: 60 }, (_, i) => point(i + 1)));
    expect(k.points.map((p) => p.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('100,000 logged steps in batches: bounded, evenly spread, first and latest kept', () => {
    let k: KeptPoints = { points: [], bucket: 1 };
    let maxLen = 0;
    for (let s = 1; s <= 100_000; s += 25) {
      k = appendPoints(k, Array.from({ length: 25 }, (_, i) => point(s + i)));
      maxLen = Math.max(maxLen, k.points.length);
    }
    const steps = k.points.map((p) => p.step);
    const gaps = steps.slice(2, -1).map((s, i) => s - steps[i + 1]);
    console.log(`thinning: 100000 points -> ${k.points.length} kept (at most ${maxLen}), bucket ${k.bucket} steps, gaps ${Math.min(...gaps)}..${Math.max(...gaps)}`);
    expect(maxLen).toBeLessThanOrEqual(MAX_KEPT_POINTS);
    expect(k.points.length).toBeGreaterThanOrEqual(MAX_KEPT_POINTS / 2);
    expect(steps[0]).toBe(1);
    expect(steps.at(-1)).toBe(100_000);
    expect(Math.max(...gaps)).toBe(k.bucket); // even: one point per bucket
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });
});
