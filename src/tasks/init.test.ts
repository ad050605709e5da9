import { describe, expect, it } from 'vitest';
import { initLora } from './init';
import { Rng } from '../rng';
import type { InitScheme } from '../config/schema';

const meanVar = (a: Float32Array) => {
  let m = 0;
  for (const v of a) m += v;
  m /= a.length;
  let s = 0;
  for (const v of a) s += (v - m) ** 2;
  return { mean: m, variance: s / a.length };
};
const allZero = (a: Float32Array) => a.every((v) => v === 0);

// r = 48, dIn = 320, dOut = 200: 15360 draws of A, 9600 of B; the sample variance's relative standard
// error is sqrt(2/N) <= 1.5%, so a 6% tolerance is four standard errors.
const r = 48, dIn = 320, dOut = 200;
const cases: [InitScheme, 'A' | 'B', number][] = [
  ['initA', 'A', 1 / dIn],
  ['initB', 'B', 1 / r],
  ['peft', 'A', 1 / (3 * dIn)],
  ['gaussian', 'A', 1 / r ** 2],
];

describe('initLora', () => {
  it.each(cases)('%s: the random factor %s has the stated variance and the other is zero', (scheme, which, variance) => {
    const { A, B } = initLora(scheme, r, dIn, dOut, Rng.stream(7, 'lora'));
    expect(A).toHaveLength(r * dIn);
    expect(B).toHaveLength(dOut * r);
    const random = which === 'A' ? A : B;
    const zero = which === 'A' ? B : A;
    expect(allZero(zero)).toBe(true); // so B A = 0 exactly and step 0 is the base model
    const { mean, variance: v } = meanVar(random);
    expect(Math.abs(v / variance - 1)).toBeLessThan(0.06);
    expect(Math.abs(mean)).toBeLessThan(4 * Math.sqrt(variance / random.length));
  });

  it('peft draws are uniform within +-1/sqrt(dIn)', () => {
    const { A } = initLora('peft', r, dIn, dOut, Rng.stream(7, 'lora'));
    const bound = 1 / Math.sqrt(dIn);
    expect(A.every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(Math.max(...A)).toBeGreaterThan(0.99 * bound);
  });

  it.each(['initA', 'initB', 'peft', 'gaussian'] as const)('%s is deterministic in the generator and handles r = 1', (scheme) => {
    const a = initLora(scheme, 1, 3, 5, Rng.stream(1, 'x'));
    const b = initLora(scheme, 1, 3, 5, Rng.stream(1, 'x'));
    const c = initLora(scheme, 1, 3, 5, Rng.stream(2, 'x'));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.A).toHaveLength(3);
    expect(a.B).toHaveLength(5);
  });
});
