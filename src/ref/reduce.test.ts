import { describe, expect, it } from 'vitest';
import { reduceStats } from './reduce';

describe('reduce reference', () => {
  it('computes sum, sum of squares and |x| sum in float64', () => {
    const s = reduceStats([3, -4, 0.5, 0]);
    expect(s).toEqual({ sumsq: 25.25, nonfinite: 0, sum: -0.5, sumAbs: 7.5 });
  });

  it('gives zeros for an empty range', () => {
    expect(reduceStats([])).toEqual({ sumsq: 0, nonfinite: 0, sum: 0, sumAbs: 0 });
  });

  it('counts NaN, +Inf and -Inf, and lets them propagate into the sums as IEEE does', () => {
    const s = reduceStats([1, NaN, 2, Infinity, -Infinity]);
    expect(s.nonfinite).toBe(3);
    expect(s.sumsq).toBeNaN();
    expect(s.sum).toBeNaN();
    const inf = reduceStats([1, Infinity]);
    expect(inf.nonfinite).toBe(1);
    expect(inf.sumsq).toBe(Infinity);
  });

  it('keeps float64 precision where an f32 running sum would not', () => {
    // 2^24 + 1 - 2^24: an f32 accumulator loses the 1.
    const s = reduceStats([2 ** 24, 1, -(2 ** 24)]);
    expect(s.sum).toBe(1);
  });
});
