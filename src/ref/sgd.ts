/**
 * CPU reference for one SGD-with-momentum step (the spec), float64, torch.optim.SGD semantics with
 * dampening 0 and no nesterov:
 *   g = clip * grad + wd p            (weight decay coupled: added to the gradient)
 *   buf = g on step 1, else buf = mu buf + g
 *   p = p - lr buf
 * Each parameter group [start, end) has its own lr and wd; elements outside every group are untouched.
 */
import type { GroupHyper, ParamGroupRange } from './adamw';

export interface SgdState {
  p: Float64Array;
  buf: Float64Array;
}

export function sgdInit(p0: ArrayLike<number>): SgdState {
  return { p: Float64Array.from(p0), buf: new Float64Array(p0.length) };
}

/** Updates `s` in place for step t (1-based). */
export function sgdStep(
  s: SgdState,
  grad: ArrayLike<number>,
  t: number,
  groups: ParamGroupRange[],
  hyper: GroupHyper[],
  momentum: number,
  clip = 1,
): void {
  groups.forEach((grp, k) => {
    const { lr, weightDecay } = hyper[k];
    for (let i = grp.start; i < grp.end; i++) {
      const g = clip * grad[i] + weightDecay * s.p[i];
      s.buf[i] = t === 1 ? g : momentum * s.buf[i] + g;
      s.p[i] -= lr * s.buf[i];
    }
  });
}
