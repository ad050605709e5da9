/**
 * CPU reference for range statistics (the spec), float64:
 *   sumsq = sum_i x_i^2  (the squared global gradient norm, ||g||_2^2),  sum = sum_i x_i,
 *   nonfinite = #{i : x_i is NaN, +Inf or -Inf},  sumAbs = sum_i |x_i| (the scale of rounding error in sum).
 */
export interface RangeStats {
  sumsq: number;
  nonfinite: number;
  sum: number;
  sumAbs: number;
}

export function reduceStats(x: ArrayLike<number>): RangeStats {
  let sumsq = 0;
  let sum = 0;
  let sumAbs = 0;
  let nonfinite = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) nonfinite++;
    sumsq += v * v;
    sum += v;
    sumAbs += Math.abs(v);
  }
  return { sumsq, nonfinite, sum, sumAbs };
}
