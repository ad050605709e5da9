/**
 * A diverging colour scale for signed values on one symmetric range: blue for negative, white at zero,
 * red for positive (ColorBrewer's RdBu, 7 classes, interpolated), so that an update and the true change
 * drawn on the same range compare cell by cell. Pure.
 */

/** RdBu from -1 (blue) to +1 (red). */
const STOPS: readonly (readonly [number, number, number])[] = [
  [33, 102, 172],
  [103, 169, 207],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [239, 138, 98],
  [178, 24, 43],
];

/** The colour of t in [-1, 1] (clamped; NaN is the neutral middle) as [r, g, b] bytes. */
export function divergingRgb(t: number): [number, number, number] {
  const u = ((Math.min(1, Math.max(-1, Number.isFinite(t) ? t : 0)) + 1) / 2) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(u));
  const f = u - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

export const diverging = (t: number): string => `rgb(${divergingRgb(t).join(' ')})`;

/** The symmetric range that holds every finite value of every array: the largest magnitude (1 if all are 0). */
export function symmetricRange(...arrays: readonly (readonly number[] | undefined)[]): number {
  let m = 0;
  for (const a of arrays) if (a) for (const v of a) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m > 0 ? m : 1;
}
