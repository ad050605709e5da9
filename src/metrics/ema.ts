/**
 * Loss smoothing as TensorBoard draws it: a de-biased exponential moving average.
 *   last_k = w * last_{k-1} + (1 - w) * y_k   (last_0 = 0, k counts finite points only)
 *   smoothed_k = last_k / (1 - w^k)
 * Non-finite points (a diverged step) are passed through unsmoothed and not accumulated, and a
 * constant series is returned as is (TensorBoard does the same, avoiding float noise on flat lines).
 */

/** De-biased EMA of `ys` with weight w in [0, 1] (0 = raw; TensorBoard's slider is w). */
export function emaSmooth(ys: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(ys.length);
  let constant = true;
  for (let i = 1; i < ys.length; i++) if (ys[i] !== ys[0]) constant = false;
  let last = 0;
  let count = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (constant || !Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    last = last * weight + (1 - weight) * y;
    count++;
    out[i] = weight === 1 ? last : last / (1 - weight ** count);
  }
  return out;
}

/**
 * The "final loss" of a run (muA's metric, TOY_TASK.md): the de-biased EMA, with weight w, of the tail
 * of the logged losses, i.e. the last k = max(1, ceil(fraction * n)) of the n points, restarted at the
 * start of the tail, read at the last point. With w = 0.9 and a short tail this is close to a
 * recency-weighted mean of the tail. If the tail contains a non-finite value (the run diverged), that
 * value is returned (NaN or +-Infinity) so callers can label the run instead of averaging it away.
 * An empty series gives NaN.
 */
export function finalLoss(losses: ArrayLike<number>, fraction = 0.1, weight = 0.9): number {
  const n = losses.length;
  if (n === 0) return NaN;
  const k = Math.max(1, Math.min(n, Math.ceil(fraction * n)));
  const tail = Array.from({ length: k }, (_, i) => losses[n - k + i]);
  const bad = tail.find((y) => !Number.isFinite(y));
  if (bad !== undefined) return bad;
  const smoothed = emaSmooth(tail, weight);
  return smoothed[k - 1];
}
