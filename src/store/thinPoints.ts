/**
 * A run's logged points kept in the store, bounded however long the run: they are thinned as they
 * arrive, so memory, the chart's work per update and the IndexedDB records of long runs stay small.
 * The points are kept one per bucket of `bucket` steps (the bucket's latest point, so the run's current
 * point is always the last), plus the very first point (the starting loss the chart's ceiling reads).
 * The bucket starts at 1 step (every logged point kept); whenever more than MAX_KEPT_POINTS are kept it
 * doubles and the kept points are thinned again, so they stay evenly spread over the steps, between
 * about MAX_KEPT_POINTS / 2 and MAX_KEPT_POINTS of them. Pure.
 */
import type { MetricPoint } from '../engine/protocol';

/** Points kept per run at most (the chart draws at most MAX_PLOT_POINTS of them). */
export const MAX_KEPT_POINTS = 1000;

export interface KeptPoints {
  points: MetricPoint[];
  /** Steps per bucket (a power of two). */
  bucket: number;
}

/** Add `p` to `out` (in place): it replaces the last point when both fall in one bucket (never the first point). */
function add(out: MetricPoint[], p: MetricPoint, bucket: number): void {
  const n = out.length;
  if (n > 1 && Math.floor(out[n - 1].step / bucket) === Math.floor(p.step / bucket)) out[n - 1] = p;
  else out.push(p);
}

/** `kept` with `incoming` (in step order) added; a new array, `kept.points` is not changed. */
export function appendPoints(kept: KeptPoints, incoming: readonly MetricPoint[], max = MAX_KEPT_POINTS): KeptPoints {
  let bucket = kept.bucket;
  let points = kept.points.slice();
  for (const p of incoming) {
    add(points, p, bucket);
    while (points.length > max) {
      bucket *= 2;
      const thinned: MetricPoint[] = [];
      for (const q of points) add(thinned, q, bucket);
      points = thinned;
    }
  }
  return { points, bucket };
}

/** Points of run `runId` with `incoming` added, its bucket kept in `buckets` (the store's context). */
export function keepPoints(buckets: Map<string, number>, runId: string, points: MetricPoint[], incoming: readonly MetricPoint[]): MetricPoint[] {
  const k = appendPoints({ points, bucket: buckets.get(runId) ?? 1 }, incoming);
  if (k.bucket > 1) buckets.set(runId, k.bucket);
  return k.points;
}
