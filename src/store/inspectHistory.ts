/**
 * A run's inspections as the store keeps them (the "inside the adapter" panel's history): appended as
 * they arrive, at most MAX_INSPECT; past that, each new point drops the older point whose neighbours
 * are closest together in steps (the first and the newest stay), so the history keeps spanning the
 * whole run with its points spread about evenly over the steps.
 * Only the newest point that carries a heatmap keeps it (the panel draws the current one; a heatmap is
 * up to 2 x 128 x 128 numbers, which 200 points would multiply).
 */
import type { InspectPoint } from '../engine/inspect';

export const MAX_INSPECT = 200;

export function appendInspect(list: readonly InspectPoint[], point: InspectPoint, max = MAX_INSPECT): InspectPoint[] {
  const older = point.heat ? list.map((p) => (p.heat ? withoutHeat(p) : p)) : [...list];
  const next = [...older, point];
  if (next.length <= max) return next;
  // drop the interior point whose removal leaves the smallest gap (the oldest such point on ties)
  let drop = 1;
  for (let i = 2; i < next.length - 1; i++) if (next[i + 1].step - next[i - 1].step < next[drop + 1].step - next[drop - 1].step) drop = i;
  next.splice(drop, 1);
  return next;
}

/** The point without its heatmap (a sweep run's final point keeps only the spectra). */
export function withoutHeat(p: InspectPoint): InspectPoint {
  const { heat: _heat, ...rest } = p;
  return rest;
}
