import { describe, expect, it } from 'vitest';
import { numericGrad, projectionWeights } from '../test/finiteDiff';
import { Rng } from '../rng';
import { rmsNormBackward, rmsNormForward } from './rmsnorm';

describe('rmsnorm reference', () => {
  it('unit weight: every row has mean square 1 (up to eps)', () => {
    const x = new Rng(1).normals(3 * 7);
    const y = rmsNormForward(x, 3, 7, new Float64Array(7).fill(1), 0);
    for (let i = 0; i < 3; i++) expect(y.subarray(i * 7, i * 7 + 7).reduce((a, v) => a + v * v, 0) / 7).toBeCloseTo(1, 12);
  });

  it.each([
    [1, 1],
    [3, 5],
    [2, 16],
  ])('backward matches finite differences (rows %i, dim %i)', (rows, dim) => {
    const rng = new Rng(rows * 31 + dim);
    const x = rng.normals(rows * dim);
    const w = rng.normals(dim);
    const p = projectionWeights(rows * dim);
    const loss = (xx: Float64Array) => rmsNormForward(xx, rows, dim, w, 1e-5).reduce((a, v, i) => a + v * p[i], 0);
    const want = numericGrad(loss, x);
    const got = rmsNormBackward(x, p, rows, dim, w, 1e-5);
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 6));
  });
});
