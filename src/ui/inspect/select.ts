/**
 * Where the panel reads its inspection points from the store's records: the one place that knows the
 * field's name and shape. A page run keeps every logged point (`inspect: InspectPoint[]` on its
 * RunRecord); a sweep run keeps its final one. Records from before the field existed (kept in IndexedDB,
 * imported files) have none, and read as empty.
 */
import type { InspectPoint } from '../../engine/inspect';

/** The logged points of a page run, oldest first. */
export const runInspect = (run: object | undefined): InspectPoint[] => (run as { inspect?: InspectPoint[] } | undefined)?.inspect ?? [];

/** The final point of a sweep run (a record holding all of a run's points gives its last). */
export function sweepRunInspect(run: object): InspectPoint | undefined {
  const v = (run as { inspect?: InspectPoint | InspectPoint[] }).inspect;
  return Array.isArray(v) ? v[v.length - 1] : v;
}
