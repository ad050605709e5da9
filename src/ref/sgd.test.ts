import { describe, expect, it } from 'vitest';
import { sgdInit, sgdStep } from './sgd';
import { goldenOptimizers as G } from '../test/golden';
import { assertClose } from '../test/compare';
import { Rng } from '../rng';

// No finite-difference check: the optimizer has no gradient of its own. PyTorch's trajectory and a
// hand-unrolled recurrence are the independent references.
describe('SGD with momentum reference', () => {
  it('matches the PyTorch golden trajectory over 5 steps with changing lr', () => {
    const s = sgdInit(G.p0);
    G.lrs.forEach((lr, step) => {
      sgdStep(s, G.grads[step], step + 1, [{ start: 0, end: G.p0.length }], [{ lr, weightDecay: 0 }], 0.9);
      assertClose(s.p, G.sgd_momentum.params_after_each_step[step], { atol: 1e-12, rtol: 1e-10 }, `sgd step ${step + 1}`);
    });
  });

  it('adds weight decay to the gradient and unrolls as buf = g1, then mu buf + g', () => {
    const s = sgdInit([2]);
    const h = [{ lr: 0.1, weightDecay: 0.5 }];
    sgdStep(s, [1], 1, [{ start: 0, end: 1 }], h, 0.9, 0.5); // g = 0.5 + 1 = 1.5; p = 2 - 0.15
    expect(s.buf[0]).toBeCloseTo(1.5, 14);
    expect(s.p[0]).toBeCloseTo(1.85, 14);
    sgdStep(s, [1], 2, [{ start: 0, end: 1 }], h, 0.9, 0.5); // g = 0.5 + 0.925; buf = 1.35 + 1.425
    expect(s.buf[0]).toBeCloseTo(2.775, 14);
    expect(s.p[0]).toBeCloseTo(1.85 - 0.2775, 14);
  });

  it('step 1 ignores whatever the momentum buffer held, and gaps stay untouched', () => {
    const rng = new Rng(3);
    const p0 = rng.normals(10);
    const g = rng.normals(10);
    const s = sgdInit(p0);
    s.buf.fill(123);
    sgdStep(s, g, 1, [{ start: 0, end: 4 }, { start: 6, end: 10 }], [{ lr: 0.1, weightDecay: 0 }, { lr: 0.2, weightDecay: 0 }], 0.9);
    for (let i = 0; i < 10; i++) {
      if (i === 4 || i === 5) expect(s.p[i]).toBe(p0[i]);
      else expect(s.p[i]).toBeCloseTo(p0[i] - (i < 4 ? 0.1 : 0.2) * g[i], 12);
    }
  });
});
