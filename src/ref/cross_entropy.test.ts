import { describe, expect, it } from 'vitest';
import { crossEntropyLoss } from './cross_entropy';
import { goldenLosses } from '../test/golden';
import { assertClose } from '../test/compare';
import { numericGrad } from '../test/finiteDiff';
import { Rng } from '../rng';

describe('cross_entropy reference', () => {
  it('matches the PyTorch golden loss and gradient, with logits up to +-100', () => {
    const g = goldenLosses.cross_entropy;
    const [rows, classes] = g.shape;
    const got = crossEntropyLoss(g.logits, g.labels, rows, classes);
    expect(Math.abs(got.loss - g.loss)).toBeLessThan(1e-12);
    assertClose(got.grad, g.grad, { atol: 1e-14, rtol: 1e-10 }, 'ce grad');
  });

  it.each([
    [1, 3],
    [3, 17],
    [4, 1],
  ])('gradient matches central finite differences (rows=%i, classes=%i)', (rows, classes) => {
    const rng = new Rng(rows * 100 + classes);
    const logits = Float64Array.from(rng.normals(rows * classes, 2));
    const labels = Array.from({ length: rows }, (_, r) => (r * 7) % classes);
    const num = numericGrad((z) => crossEntropyLoss(z, labels, rows, classes).loss, logits, 1e-5);
    assertClose(crossEntropyLoss(logits, labels, rows, classes).grad, num, { atol: 1e-9, rtol: 1e-7 }, 'fd');
  });

  it('is finite and exact at logits of magnitude 100', () => {
    // row 0: label is the max by 100 -> loss ~ exp(-100); row 1: label at -100 vs max 100 -> loss ~ 200.
    const got = crossEntropyLoss([100, 0, -100, 100], [0, 0], 2, 2);
    expect(got.loss).toBeCloseTo((Math.log1p(Math.exp(-100)) + 200 + Math.log1p(Math.exp(-200))) / 2, 12);
    expect(got.grad.every(Number.isFinite)).toBe(true);
  });

  it('counts accuracy with the first index winning ties, and scales only the gradient by gradScale', () => {
    // rows: argmax 1 (label 1, correct), tie 0/2 -> 0 (label 2, wrong), argmax 2 (label 2, correct)
    const logits = [0, 5, 1, 3, 1, 3, -1, -2, 4];
    const a = crossEntropyLoss(logits, [1, 2, 2], 3, 3);
    expect(a.accuracy).toBeCloseTo(2 / 3, 15);
    const b = crossEntropyLoss(logits, [1, 2, 2], 3, 3, 0.5);
    expect(b.loss).toBe(a.loss);
    assertClose(b.grad, Array.from(a.grad, (v) => v * 0.5), { atol: 0, rtol: 1e-15 }, 'gradScale');
  });

  it('rejects out-of-range labels and wrong shapes', () => {
    expect(() => crossEntropyLoss([0, 1], [2], 1, 2)).toThrow(/label 2/);
    expect(() => crossEntropyLoss([0, 1, 2], [0], 1, 2)).toThrow(/expected 1x2/);
  });
});
