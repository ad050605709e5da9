import { describe, expect, it } from 'vitest';
import { adamwInit, adamwStep, type AdamWConfig } from './adamw';
import { goldenOptimizers as G } from '../test/golden';
import { assertClose } from '../test/compare';
import { Rng } from '../rng';

// The optimizer has no gradient of its own, so there is no finite-difference check here: the PyTorch
// golden trajectory and closed forms are the independent references.
const CFG: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const TIGHT = { atol: 1e-12, rtol: 1e-10 };

describe('AdamW reference', () => {
  it.each([
    ['adamw', 0.01],
    ['adamw_no_decay', 0],
  ] as const)('matches the PyTorch golden trajectory (%s) over 5 steps with changing lr', (key, wd) => {
    const s = adamwInit(G.p0);
    const all = [{ start: 0, end: G.p0.length }];
    G.lrs.forEach((lr, step) => {
      adamwStep(s, G.grads[step], step + 1, all, [{ lr, weightDecay: wd }], CFG);
      assertClose(s.p, G[key].params_after_each_step[step], TIGHT, `${key} step ${step + 1}`);
    });
  });

  it('first step moves each parameter by lr * g / (|g| + eps) after the decay', () => {
    const g = [0.5, -2, 1e-3, 0];
    const s = adamwInit([1, 1, 1, 1]);
    adamwStep(s, g, 1, [{ start: 0, end: 4 }], [{ lr: 0.1, weightDecay: 0.2 }], CFG);
    const want = g.map((gi) => 1 * (1 - 0.1 * 0.2) - (0.1 * gi) / (Math.abs(gi) + 1e-8));
    assertClose(s.p, want, { atol: 1e-12, rtol: 1e-9 }, 'first step');
  });

  it('groups update independently, leave gaps untouched, and the clip coefficient scales the gradient', () => {
    const rng = new Rng(7);
    const n = 50;
    const p0 = rng.normals(n);
    const grads = [rng.normals(n), rng.normals(n), rng.normals(n)];
    const groups = [{ start: 30, end: 50 }, { start: 0, end: 20 }]; // 20..29 is a gap
    const hyper = [{ lr: 0.05, weightDecay: 0 }, { lr: 0.01, weightDecay: 0.1 }];
    const both = adamwInit(p0);
    const a = adamwInit(p0);
    const b = adamwInit(p0);
    grads.forEach((gr, k) => {
      adamwStep(both, gr, k + 1, groups, hyper, CFG, 0.5);
      adamwStep(a, gr.map((x) => 0.5 * x), k + 1, [groups[0]], [hyper[0]], CFG);
      adamwStep(b, gr.map((x) => 0.5 * x), k + 1, [groups[1]], [hyper[1]], CFG);
    });
    for (let i = 0; i < n; i++) {
      const want = i >= 30 ? a.p[i] : i < 20 ? b.p[i] : p0[i];
      expect(both.p[i]).toBe(want);
    }
  });
});
