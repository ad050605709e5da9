import { describe, expect, it } from 'vitest';
import { clipCoef, clipGradNorm } from './clip';
import { goldenClip } from '../test/golden';
import { assertClose } from '../test/compare';

describe('clip reference', () => {
  it.each(goldenClip.cases.map((c, k) => [k, c] as const))('matches PyTorch clip_grad_norm_ golden case %i', (_k, c) => {
    const got = clipGradNorm(c.grads, c.max_norm);
    expect(Math.abs(got.totalNorm - c.total_norm)).toBeLessThan(1e-12 * c.total_norm);
    got.clipped.forEach((g, t) => assertClose(g, c.clipped[t], { atol: 1e-14, rtol: 1e-12 }, `clipped[${t}]`));
  });

  it('leaves gradients alone when the norm is under max_norm (coef clamped to 1)', () => {
    expect(clipCoef(0.25, 1)).toBe(1);
    expect(clipCoef(0, 1)).toBe(1);
    expect(clipCoef(4, 1)).toBeCloseTo(1 / (2 + 1e-6), 15);
  });

  it('is disabled by max_norm <= 0 or non-finite', () => {
    for (const m of [0, -1, Infinity, NaN]) expect(clipCoef(100, m)).toBe(1);
  });

  it('follows PyTorch on non-finite norms: Inf gives 0, NaN gives NaN', () => {
    expect(clipCoef(Infinity, 1)).toBe(0);
    expect(clipCoef(NaN, 1)).toBeNaN();
  });
});
