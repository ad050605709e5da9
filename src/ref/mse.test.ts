import { describe, expect, it } from 'vitest';
import { mseLoss } from './mse';
import { goldenLosses } from '../test/golden';
import { assertClose } from '../test/compare';
import { numericGrad } from '../test/finiteDiff';
import { Rng } from '../rng';

describe('mse reference', () => {
  it('matches the PyTorch golden loss and gradient', () => {
    const g = goldenLosses.mse;
    const got = mseLoss(g.pred, g.target);
    expect(Math.abs(got.loss - g.loss)).toBeLessThan(1e-12);
    assertClose(got.grad, g.grad, { atol: 1e-14, rtol: 1e-12 }, 'mse grad');
  });

  it.each([1, 3, 17])('gradient matches central finite differences (n=%i, scale 0.25)', (n) => {
    const rng = new Rng(n);
    const pred = Float64Array.from(rng.normals(n));
    const target = Float64Array.from(rng.normals(n));
    const num = numericGrad((p) => mseLoss(p, target, 0.25).loss, pred, 1e-5);
    assertClose(mseLoss(pred, target, 0.25).grad, num, { atol: 1e-9, rtol: 1e-7 }, `fd n=${n}`);
  });

  it('gradScale multiplies the gradient only', () => {
    const a = mseLoss([1, 2], [0, 0], 3);
    const b = mseLoss([1, 2], [0, 0], 3, 0.5);
    expect(b.loss).toBe(a.loss);
    assertClose(b.grad, Array.from(a.grad, (v) => v * 0.5), { atol: 0, rtol: 1e-15 }, 'gradScale');
  });

  it('rejects mismatched lengths', () => {
    expect(() => mseLoss([1, 2], [1])).toThrow(/target/);
  });
});
