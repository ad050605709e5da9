import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/schema';
import type { MetricPoint, RunStatus } from '../engine/protocol';
import type { RunRecord } from '../store/store';
import { logTicks } from '../format';
import { assignColours, downsample, liveProgress, lossUnit, niceCeil, PALETTE, runCurves, runTitle, seriesJson, yCeiling, yDomain } from './chartData';

const pt = (step: number, loss: number, evalLoss?: number): MetricPoint => ({ step, loss, evalLoss, gradNorm: 1, lr: 0.01, stepsPerSec: 10, divergedStep: 0 });
const run = (points: MetricPoint[], status: Partial<RunStatus> = {}, id = 'a'): RunRecord => ({
  id,
  config: DEFAULT_CONFIG,
  label: 'r=8',
  status: { state: 'done', step: points.length, stepsPerSec: 10, ...status },
  points,
  inspect: [],
});

describe('chart data', () => {
  it('titles say how a run ended', () => {
    expect(runTitle(run([], { state: 'diverged', divergedStep: 37 }))).toBe('r=8 — diverged at step 37');
    expect(runTitle(run([], { state: 'collapsed' }))).toBe('r=8 — collapsed');
    expect(runTitle(run([], { state: 'running' }))).toBe('r=8');
  });

  it('data-series holds the raw points, non-finite as null', () => {
    const s = JSON.parse(seriesJson([run([pt(1, 1, 0.9), pt(2, NaN)], { state: 'diverged', divergedStep: 2 })]));
    expect(s).toEqual([{ id: 'a', label: 'r=8 — diverged at step 2', status: 'diverged', task: 'toy', step: 2, points: [[1, 1, 0.9, null], [2, null, null, null]] }]);
  });

  it('downsamples to at most the limit, keeping the first and last points', () => {
    const xs = Array.from({ length: 1001 }, (_, i) => i);
    for (const n of [1, 299, 300, 301, 1001]) {
      const d = downsample(xs.slice(0, n), 300);
      expect(d.length).toBeLessThanOrEqual(300);
      expect(d[0]).toBe(0);
      expect(d[d.length - 1]).toBe(n - 1);
    }
  });

  it('drops non-finite values, clips at the ceiling, drops non-positive on a log axis', () => {
    const r = run([pt(1, 2, 2), pt(2, 1e9), pt(3, Infinity), pt(4, NaN), pt(5, 0)]);
    const ceiling = yCeiling([r]);
    expect(ceiling).toBe(20);
    const lin = runCurves(r, 0, false, ceiling);
    expect(lin.smooth).toEqual([{ step: 1, y: 2 }, { step: 2, y: 20 }, { step: 5, y: 0 }]);
    expect(lin.raw).toEqual([]);
    expect(lin.evalLoss).toEqual([{ step: 1, y: 2 }]);
    const log = runCurves(r, 0.5, true, ceiling);
    expect(log.raw.map((p) => p.step)).toEqual([1, 2]);
    expect(log.smooth.every((p) => Number.isFinite(p.y) && p.y > 0)).toBe(true);
  });

  it('smoothing is the de-biased EMA: the first point is the raw one', () => {
    const c = runCurves(run([pt(1, 1), pt(2, 0.5)]), 0.5, false, Infinity);
    expect(c.smooth).toEqual([{ step: 1, y: 1 }, { step: 2, y: (0.5 * 0.5 + 0.5 * 0.5 * 1) / 0.75 }]);
  });

  it('colours stay with their run and are reused after it goes', () => {
    const m = new Map<string, string>();
    assignColours(['a', 'b'], m);
    expect([m.get('a'), m.get('b')]).toEqual([PALETTE[0], PALETTE[1]]);
    assignColours(['b', 'c'], m);
    expect([m.get('b'), m.get('c')]).toEqual([PALETTE[1], PALETTE[0]]);
  });
});

describe('yDomain', () => {
  const c = (ys: number[]) => ({ raw: [], smooth: ys.map((y, i) => ({ step: i, y })), evalLoss: [{ step: 0, y: 0.5 }], evalBase: [] });
  it('covers every drawn point, with room', () => {
    const [lo, hi] = yDomain([c([1, 0.1]), c([2])], true)!;
    expect(lo).toBeLessThan(0.1);
    expect(hi).toBeGreaterThan(2);
    expect(yDomain([c([1, 0.1])], false)).toEqual([0, 1.2]);
    expect([0.9, 1.17, 3.1, 0.0042].map(niceCeil)).toEqual([1, 1.2, 4, 0.005]);
    expect(yDomain([], true)).toBeNull();
  });
});

describe('liveProgress', () => {
  it('takes the newer of the status and the last logged point', () => {
    expect(liveProgress(run([pt(1, 1), pt(5, 1)], { state: 'running', step: 0, stepsPerSec: 0 }))).toEqual({ step: 5, stepsPerSec: 10 });
    expect(liveProgress(run([pt(1, 1)], { state: 'stopped', step: 7, stepsPerSec: 3 }))).toEqual({ step: 7, stepsPerSec: 3 });
    expect(liveProgress(run([], { state: 'building', step: 0, stepsPerSec: 0 }))).toEqual({ step: 0, stepsPerSec: 0 });
  });
});

describe('logTicks', () => {
  it('powers of ten, with 2x and 5x over few decades', () => {
    expect(logTicks(0.05, 1.2)).toEqual([0.05, 0.1, 0.2, 0.5, 1]);
    expect(logTicks(5e-5, 2)).toEqual([1e-4, 1e-3, 0.01, 0.1, 1]);
    expect(logTicks(0, 1)).toEqual([]);
    expect(logTicks(0.3, 0.45)).toEqual([0.3, 0.45]); // too narrow: the two ends
  });
});

describe('language-model curves', () => {
  it('are drawn in bits per byte, with the pretraining text\'s eval loss as its own curve', () => {
    const run = {
      id: 'x',
      label: 'lm',
      config: { ...DEFAULT_CONFIG, task: 'lm' as const },
      status: { state: 'done' as const, step: 2, stepsPerSec: 1 },
      points: [
        { step: 1, loss: Math.LN2 * 4, gradNorm: 1, divergedStep: 0, lr: 1, stepsPerSec: 1, evalLoss: Math.LN2 * 3, evalLosses: [Math.LN2 * 3, Math.LN2 * 2] },
        { step: 2, loss: Math.LN2 * 2, gradNorm: 1, divergedStep: 0, lr: 1, stepsPerSec: 1 },
      ],
      inspect: [],
    };
    const c = runCurves(run, 0, false, Infinity);
    expect(c.smooth.map((p) => p.y)).toEqual([4, 2].map((y) => expect.closeTo(y, 12)));
    expect(c.evalLoss.map((p) => p.y)).toEqual([expect.closeTo(3, 12)]);
    expect(c.evalBase.map((p) => p.y)).toEqual([expect.closeTo(2, 12)]);
    expect(lossUnit(run).name).toBe('bits per byte');
    expect(lossUnit({ config: DEFAULT_CONFIG }).scale).toBe(1);
  });
});
