import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { nextToken } from './sampling';

describe('next token', () => {
  it('greedy takes the first largest logit', () => {
    expect(nextToken([0, 3, 1, 3], 0, new Rng(1))).toBe(1);
  });

  it('sampling follows softmax(z / T): frequencies within 3 sigma, and the seed fixes the draws', () => {
    const z = [0, Math.log(3), -50];
    const rng = new Rng(5);
    const n = 4000;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) counts[nextToken(z, 1, rng)]++;
    expect(counts[2]).toBe(0);
    expect(Math.abs(counts[1] / n - 0.75)).toBeLessThan(3 * Math.sqrt((0.75 * 0.25) / n));
    const draws = (seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: 20 }, () => nextToken(z, 1, r));
    };
    expect(draws(9)).toEqual(draws(9));
    expect(draws(9)).not.toEqual(draws(10));
  });

  it('a high temperature flattens, a low one sharpens', () => {
    const z = [0, 1];
    const share = (t: number) => {
      const rng = new Rng(2);
      let ones = 0;
      for (let i = 0; i < 2000; i++) ones += nextToken(z, t, rng);
      return ones / 2000;
    };
    expect(share(0.1)).toBeGreaterThan(0.99);
    expect(Math.abs(share(100) - 0.5)).toBeLessThan(0.05);
    expect(() => nextToken(z, -1, new Rng(1))).toThrow(/temperature/);
  });

  it('top-k draws only among the k largest logits', () => {
    const z = [2, 0, 1.5, -1, 1.9];
    const rng = new Rng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(nextToken(z, 5, rng, 2));
    expect([...seen].sort()).toEqual([0, 4]);
    const all = new Set<number>();
    for (let i = 0; i < 2000; i++) all.add(nextToken(z, 5, rng, 0));
    expect(all.size).toBe(5);
    expect(() => nextToken(z, 1, rng, -1)).toThrow(/top-k/);
  });
});
