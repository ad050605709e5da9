/**
 * CPU reference for global gradient-norm clipping (the spec), float64, torch.nn.utils.clip_grad_norm_:
 *   total_norm = sqrt(sum over all tensors and elements of g^2)
 *   coef = max_norm / (total_norm + 1e-6), applied (g *= coef) only when coef < 1
 * max_norm <= 0 (or not finite) disables clipping: coef = 1. As PyTorch: an infinite norm gives coef 0,
 * a NaN norm gives coef NaN.
 */
export const CLIP_EPS = 1e-6;

export function clipCoef(sumsq: number, maxNorm: number): number {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return 1;
  const c = maxNorm / (Math.sqrt(sumsq) + CLIP_EPS);
  return Number.isNaN(c) ? NaN : Math.min(c, 1);
}

export function globalSumSq(grads: ArrayLike<number>[]): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

/** Returns the total norm (before clipping), the coefficient and the clipped gradients. */
export function clipGradNorm(grads: ArrayLike<number>[], maxNorm: number): { totalNorm: number; coef: number; clipped: Float64Array[] } {
  const sumsq = globalSumSq(grads);
  const coef = clipCoef(sumsq, maxNorm);
  const clipped = grads.map((g) => Float64Array.from(g, (v) => v * coef));
  return { totalNorm: Math.sqrt(sumsq), coef, clipped };
}
