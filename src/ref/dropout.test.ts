import { describe, expect, it } from 'vitest';
import { dropoutForward, dropoutKey, keepScale } from './dropout';

describe('dropout reference', () => {
  it('drops about p of the entries and rescales the rest by 1/(1-p)', () => {
    const n = 20000;
    const y = dropoutForward(new Float64Array(n).fill(1), dropoutKey(1, 2, 0, 1), 0.25);
    const kept = y.filter((v) => v !== 0);
    expect(Math.abs(1 - kept.length / n - 0.25)).toBeLessThan(0.02);
    expect(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-12)).toBe(true);
  });

  it('keeps everything at p = 0 and gives different masks for different keys', () => {
    expect(keepScale(123, 7, 0)).toBe(1);
    const a = dropoutForward(new Float64Array(64).fill(1), dropoutKey(1, 1, 0, 0), 0.5);
    const b = dropoutForward(new Float64Array(64).fill(1), dropoutKey(1, 2, 0, 0), 0.5);
    expect([...a]).not.toEqual([...b]);
  });
});
