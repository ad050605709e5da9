/**
 * CPU reference for one AdamW step (the spec), float64, torch.optim.AdamW single-tensor semantics:
 *   g = clip * grad
 *   p = p * (1 - lr wd)                                   (decoupled weight decay, first)
 *   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2
 *   bc1 = 1 - b1^t,  bc2 = 1 - b2^t
 *   p = p - (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps)
 * Each parameter group [start, end) has its own lr and wd; elements outside every group are untouched.
 */
export interface ParamGroupRange {
  start: number;
  end: number;
}
export interface GroupHyper {
  lr: number;
  weightDecay: number;
}
export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
}

export interface AdamWState {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

export function adamwInit(p0: ArrayLike<number>): AdamWState {
  return { p: Float64Array.from(p0), m: new Float64Array(p0.length), v: new Float64Array(p0.length) };
}

/** Updates `s` in place for step t (1-based). */
export function adamwStep(
  s: AdamWState,
  grad: ArrayLike<number>,
  t: number,
  groups: ParamGroupRange[],
  hyper: GroupHyper[],
  cfg: AdamWConfig,
  clip = 1,
): void {
  const bc1 = 1 - cfg.beta1 ** t;
  const bc2 = 1 - cfg.beta2 ** t;
  groups.forEach((grp, k) => {
    const { lr, weightDecay } = hyper[k];
    for (let i = grp.start; i < grp.end; i++) {
      const g = clip * grad[i];
      s.p[i] *= 1 - lr * weightDecay;
      s.m[i] = cfg.beta1 * s.m[i] + (1 - cfg.beta1) * g;
      s.v[i] = cfg.beta2 * s.v[i] + (1 - cfg.beta2) * g * g;
      s.p[i] -= (lr / bc1) * s.m[i] / (Math.sqrt(s.v[i]) / Math.sqrt(bc2) + cfg.eps);
    }
  });
}
