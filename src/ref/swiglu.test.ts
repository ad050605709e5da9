import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { numericGrad, projectionWeights } from '../test/finiteDiff';
import { swigluBackward, swigluForward } from './swiglu';

describe('swiglu reference', () => {
  it('is the Llama MLP gate: silu(g) * u', () => {
    expect(swigluForward([0, 1, -30], [5, 2, 1])[0]).toBe(0);
    expect(swigluForward([0, 1, -30], [5, 2, 1])[1]).toBeCloseTo(2 / (1 + Math.exp(-1)), 12);
    expect(Math.abs(swigluForward([-30], [1])[0])).toBeLessThan(1e-11);
  });

  it('backward matches finite differences in g and in u', () => {
    const rng = new Rng(9);
    const n = 11;
    const g = rng.normals(n).map((v) => 3 * v);
    const u = rng.normals(n);
    const p = projectionWeights(n);
    const { dg, du } = swigluBackward(g, u, p);
    const wantG = numericGrad((gg) => swigluForward(gg, u).reduce((a, v, i) => a + v * p[i], 0), g);
    const wantU = numericGrad((uu) => swigluForward(g, uu).reduce((a, v, i) => a + v * p[i], 0), u);
    dg.forEach((v, i) => expect(v).toBeCloseTo(wantG[i], 6));
    du.forEach((v, i) => expect(v).toBeCloseTo(wantU[i], 6));
  });
});
