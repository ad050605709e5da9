import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, TASK_PRESETS, type RunConfig } from '../config/schema';
import { ALL_CELLS } from '../tasks/lmTargets';
import { baseEvals, bestPerCurve, evalPairs } from './forgetting';
import { syntheticSweep } from './synthetic';

const lm: RunConfig = { ...DEFAULT_CONFIG, ...TASK_PRESETS.lm, task: 'lm' };
// Fine-tuning-text loss lowest at lr 2^-7; pretraining-text loss rising with lr and rank.
const target = (x: number, r: number) => 2 + 0.1 * (x + 7) ** 2 - 0.01 * r;
const sweep = syntheticSweep({ ranks: [2, 8], lr: { from: -8, to: -5, step: 1 }, includeFft: true }, (g) => (g.axes.log2lr === -5 ? 'diverged' : 1.5), lm, (g) => ({
  first: [3, 1.2],
  last: [target(g.axes.log2lr, g.axes.fft ? 64 : g.config.r), 1.3 + 0.01 * (g.axes.log2lr + 10) + (g.axes.fft ? 0.5 : 0.01 * g.config.r)],
}));

describe('learned vs forgotten', () => {
  it('the base is the first logged point of a run', () => {
    expect(baseEvals(sweep.runs)).toEqual({ target: 3, pretrain: 1.2 });
    expect(baseEvals([])).toBeNull();
  });

  it('one pair per finished run (diverged ones left out), ranks ascending then FFT', () => {
    const pairs = evalPairs(sweep.runs);
    expect(pairs.length).toBe(3 * 3);
    expect([...new Set(pairs.map((p) => p.curve))]).toEqual(['r=2', 'r=8', 'FFT']);
    expect(pairs[0]).toMatchObject({ fft: false, rank: 2, target: target(-8, 2), pretrain: 1.3 + 0.02 + 0.02 });
  });

  it("each curve's best run is at its lowest fine-tuning-text loss", () => {
    const best = bestPerCurve(evalPairs(sweep.runs));
    expect(best.map((b) => [b.curve, b.run.axes.log2lr])).toEqual([['r=2', -7], ['r=8', -7], ['FFT', -7]]);
    expect(best[2].pretrain).toBeCloseTo(1.3 + 0.03 + 0.5, 12);
  });

  it('names curves by the other axes that vary (FFT by the ones it shares)', () => {
    const s = syntheticSweep({ ranks: [4], lr: { from: -7, to: -7, step: 1 }, lmTargets: [[0, 2, 7, 9], [...ALL_CELLS]], inits: ['initA', 'initB'], includeFft: true }, () => 1.5, lm, () => ({ first: [3, 1.2], last: [2, 1.4] }));
    expect([...new Set(evalPairs(s.runs).map((p) => p.curve))]).toEqual([
      'r=4 · modules=all · init=initA', 'r=4 · modules=all · init=initB', 'r=4 · modules=q+v · init=initA', 'r=4 · modules=q+v · init=initB', 'FFT · modules=all', 'FFT · modules=q+v',
    ]);
  });
});
