import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type InitScheme } from '../config/schema';
import { analyzeSweep, type Curve, type Panel } from './analysis';
import { anchoredIntercept, chosenLr, leaveOneOut, lrTransfer } from './lrTransfer';
import { syntheticSweep } from './synthetic';
import { predictedSlope } from './theory';

/** A panel with the given reliable optima (log2 lr by rank), optional FFT optimum, and a rule. */
function panel(optima: [number, number][], init: InitScheme = 'initA', fixed: 'alphaEff' | 'loraAlpha' = 'alphaEff', fft?: number): Panel {
  const curve = (rank: number | null, x: number): Curve => ({ id: '', name: rank === null ? 'FFT' : `r=${rank}`, fft: rank === null, rank, points: [], optimum: { x, y: 0.1, reliable: true } });
  const curves = optima.map(([r, x]) => curve(r, x));
  if (fft !== undefined) curves.push(curve(null, fft));
  return { key: '', label: '', curves, fit: null, predicted: predictedSlope(init, 'standard', fixed), init };
}

const RANKS = [1, 2, 4, 8, 16, 32, 64];
const law = (k: number, c: number, noise: (i: number) => number = () => 0): [number, number][] => RANKS.map((r, i) => [r, c + k * Math.log2(r) + noise(i)]);

describe('lrTransfer', () => {
  it('recovers an exact muA power law: both predictions agree, leave-one-out is exact, no warning', () => {
    const t = lrTransfer(panel(law(-0.5, -6)), 256);
    expect(t.ruleSlope).toBe(-0.5);
    expect(t.measuredSlope).toBeCloseTo(-0.5, 12);
    expect(t.fromRule).toBeCloseTo(-6 - 0.5 * 8, 12);
    expect(t.fromFit).toBeCloseTo(-10, 12);
    expect(t.reason).toBeNull();
    expect(t.looBasis).toBe('rule');
    expect(t.loo.map((r) => r.rank)).toEqual(RANKS);
    for (const r of t.loo) expect(r.error).toBeCloseTo(0, 12);
    expect(t.looMae).toBeCloseTo(0, 12);
    expect(t.warning).toBeNull();
  });

  it('with the rule slope fixed, the intercept is the least-squares one and each left-out rank is predicted from the rest', () => {
    const pts = [
      { rank: 2, log2lr: -5 },
      { rank: 8, log2lr: -6.5 },
      { rank: 32, log2lr: -6.8 },
    ];
    // y + 0.5 log2 r: -4.5, -5, -4.3 -> mean -4.6
    expect(anchoredIntercept(pts, -0.5)).toBeCloseTo(-4.6, 12);
    const loo = leaveOneOut(pts, (rest, r) => anchoredIntercept(rest, -0.5) - 0.5 * Math.log2(r));
    // rank 8 from ranks 2 and 32: intercept (-4.5 - 4.3) / 2 = -4.4, predicted -4.4 - 1.5 = -5.9
    expect(loo[1].predicted).toBeCloseTo(-5.9, 12);
    expect(loo[1].error).toBeCloseTo(0.6, 12);
  });

  it('noisy optima around the rule: small errors, the measured slope near the rule, no warning', () => {
    const noise = (i: number) => [0.2, -0.15, 0.1, -0.2, 0.05, 0.15, -0.1][i];
    const t = lrTransfer(panel(law(-0.5, -6, noise)), 128);
    expect(Math.abs(t.measuredSlope! + 0.5)).toBeLessThan(0.1);
    expect(t.looMae!).toBeGreaterThan(0);
    expect(t.looMae!).toBeLessThan(0.3);
    expect(t.fromRule!).toBeCloseTo(-6 - 3.5, 0);
    expect(t.warning).toBeNull();
  });

  it('says in words when the measured slope is far from a rank-invariant rule', () => {
    const t = lrTransfer(panel(law(-0.67, -4), 'initB', 'alphaEff'), 16);
    expect(t.ruleSlope).toBe(0);
    expect(t.warning).toMatch(/^Init\[B\] is not rank-invariant here: the measured slope is -0\.67/);
    // Predicting from the mean of all ranks misses the ends by more than an octave on average here.
    expect(t.looMae!).toBeGreaterThan(1);
    expect(t.warning).toMatch(/misses by \d\.\d\d octaves on average/);
  });

  it('says so when Init[A] does not follow r^-1/2', () => {
    const t = lrTransfer(panel(law(0, -6)), 16);
    expect(t.warning).toMatch(/^Init\[A\] does not follow eta\* ~ r\^-1\/2 here: the measured slope is 0\.00/);
  });

  it('makes no prediction with fewer than 3 reliable ranks, and says why', () => {
    for (const optima of [[], [[4, -6]], [[4, -6], [16, -7]]] as [number, number][][]) {
      const t = lrTransfer(panel(optima), 8);
      expect(t.fromRule).toBeNull();
      expect(t.fromFit).toBeNull();
      expect(t.loo).toEqual([]);
      expect(t.looMae).toBeNull();
      expect(t.warning).toBeNull();
      expect(t.reason).toMatch(/at least 3 ranks/);
    }
    expect(lrTransfer(panel([[4, -6], [16, -7]]), 8).measuredSlope).toBeCloseTo(-0.5, 12);
  });

  it('a rank below 1 is refused with a reason; unreliable optima are left out', () => {
    expect(lrTransfer(panel(law(-0.5, -6)), 0).reason).toMatch(/at least 1/);
    const p = panel(law(-0.5, -6));
    p.curves[0] = { ...p.curves[0], optimum: { x: 3, y: 1, reliable: false, why: 'flat' } };
    const t = lrTransfer(p, 4);
    expect(t.optima.map((o) => o.rank)).toEqual(RANKS.slice(1));
    expect(t.fromRule).toBeCloseTo(-7, 12);
  });

  it('with no rule (PEFT gaussian), leave-one-out uses the measured fit and nothing is judged against a rule', () => {
    const t = lrTransfer(panel(law(-0.3, -6), 'gaussian'), 8);
    expect(t.ruleSlope).toBeNull();
    expect(t.fromRule).toBeNull();
    expect(t.fromFit).toBeCloseTo(-6.9, 12);
    expect(t.looBasis).toBe('fit');
    expect(t.looMae).toBeCloseTo(0, 12);
    expect(t.warning).toBeNull();
  });

  it("FFT: Init[B]'s rule predicts FFT's optimum from the LoRA optima; Init[A]'s ties nothing to FFT", () => {
    const b = lrTransfer(panel(law(0, -7), 'initB', 'alphaEff', -7.25), 8);
    expect(b.fft).toEqual({ measured: -7.25, reliable: true, predicted: expect.closeTo(-7, 12) });
    const a = lrTransfer(panel(law(-0.5, -6), 'initA', 'alphaEff', -8), 8);
    expect(a.fft).toEqual({ measured: -8, reliable: true, predicted: null });
    expect(lrTransfer(panel(law(-0.5, -6)), 8).fft).toBeNull();
  });

  it('end to end on a synthetic muA sweep (Init[A], alpha_eff = 1): the optimum at an unswept rank', () => {
    const base = { ...DEFAULT_CONFIG, trueRank: 1 };
    const sweep = syntheticSweep({ ranks: [2, 4, 8, 16, 32], lr: { from: -12, to: -2, step: 0.5 }, alpha: { kind: 'alphaEff', values: [1] } }, (g) => 0.04 * (g.axes.log2lr - (-5 - 0.5 * Math.log2(g.config.r))) ** 2 + 0.1, base);
    const [p] = analyzeSweep(sweep);
    const t = lrTransfer(p, 64);
    expect(t.optima.length).toBe(5);
    expect(t.fromRule).toBeCloseTo(-8, 6);
    expect(t.fromFit).toBeCloseTo(-8, 6);
    expect(t.looMae).toBeCloseTo(0, 6);
    expect(t.warning).toBeNull();
  });

  it('the learning rate to use: the rule-anchored one while the rule holds, else the measured fit', () => {
    expect(chosenLr(lrTransfer(panel(law(-0.5, -6)), 256))).toEqual({ log2lr: expect.closeTo(-10, 12), from: 'rule' });
    expect(chosenLr(lrTransfer(panel(law(-0.67, -4), 'initB'), 16))).toEqual({ log2lr: expect.closeTo(-4 - 0.67 * 4, 12), from: 'fit' });
    expect(chosenLr(lrTransfer(panel(law(-0.3, -6), 'gaussian'), 8))).toEqual({ log2lr: expect.closeTo(-6.9, 12), from: 'fit' });
    expect(chosenLr(lrTransfer(panel([[4, -6]]), 8))).toBeNull();
  });
});
