/**
 * Divergence rule (the spec of shaders/watch.wgsl): a step diverges when any loss is NaN/Inf or above
 * `bound`, or the gradients' sum of squares is not finite, or any gradient entry is not finite.
 * Returns the new recorded step: the first diverging step (1-based) is kept.
 */
export function watchStep(recorded: number, losses: ArrayLike<number>, sumsq: number, nonFiniteCount: number, step: number, bound: number): number {
  if (recorded !== 0) return recorded;
  let bad = !Number.isFinite(sumsq) || nonFiniteCount > 0;
  for (let k = 0; k < losses.length; k++) bad ||= !Number.isFinite(losses[k]) || losses[k] > bound;
  return bad ? step : 0;
}
