import { describe, expect, it } from 'vitest';
import { emaSmooth, finalLoss } from './ema';
import { goldenEma } from '../test/golden';

describe('emaSmooth', () => {
  it("matches TensorBoard's de-biased EMA golden within 1e-12", () => {
    const s = emaSmooth(goldenEma.series, goldenEma.weight);
    goldenEma.smoothed.forEach((want, i) => expect(Math.abs(s[i] - want)).toBeLessThanOrEqual(1e-12));
  });

  it('weight 0 is the raw series; the first point is always itself', () => {
    const ys = [3, 1, 4, 1, 5];
    expect(Array.from(emaSmooth(ys, 0))).toEqual(ys);
    expect(emaSmooth(ys, 0.99)[0]).toBe(3);
  });

  it('passes non-finite points through without poisoning later ones, and leaves constants exact', () => {
    const s = emaSmooth([1, NaN, 1, Infinity, 1], 0.6);
    expect(s[1]).toBeNaN();
    expect(s[3]).toBe(Infinity);
    expect(s[4]).toBeCloseTo(1, 14);
    expect(Array.from(emaSmooth([0.3, 0.3, 0.3], 0.9))).toEqual([0.3, 0.3, 0.3]);
    expect(emaSmooth([], 0.9)).toHaveLength(0);
  });
});

describe('finalLoss', () => {
  it('is the de-biased EMA of the last ceil(10%) points, restarted at the tail, read at the end', () => {
    const ys = goldenEma.series; // 40 points -> tail of 4
    const tail = ys.slice(36);
    expect(finalLoss(ys)).toBe(emaSmooth(tail, 0.9)[3]);
    // By hand: weights 0.9^3, 0.9^2, 0.9, 1 normalised.
    const w = [0.729, 0.81, 0.9, 1];
    const byHand = tail.reduce((a, y, i) => a + w[i] * y, 0) / w.reduce((a, b) => a + b, 0);
    expect(finalLoss(ys)).toBeCloseTo(byHand, 12);
  });

  it('short series use at least one point; fraction and weight are parameters', () => {
    expect(finalLoss([5, 4, 3])).toBe(3);
    expect(finalLoss([2, 4], 1, 0)).toBe(4);
    expect(finalLoss([2, 4], 1, 0.5)).toBeCloseTo((0.5 * 2 + 4) / 1.5, 14);
  });

  it('returns the non-finite value of a diverged tail, and NaN for no data', () => {
    expect(finalLoss([1, 0.5, NaN])).toBeNaN();
    expect(finalLoss(Array.from({ length: 20 }, (_, i) => (i === 18 ? Infinity : 1)))).toBe(Infinity);
    expect(finalLoss([1, Infinity, 0.5])).toBe(0.5); // the divergence is outside the tail
    expect(finalLoss([])).toBeNaN();
  });
});
