/**
 * Where the panel reads its inspection points from the store's records: the one place that knows the
 * field's name and shape. A page run keeps every logged point (`inspect: InspectPoint[]` on its
 * RunRecord); a sweep run keeps its final one. Records from before the field existed (kept in IndexedDB,
 * imported files) have none, and read as empty.
 */
import type { InspectPoint } from '../../engine/inspect';
import type { RunRecord } from '../../store/store';
import type { SweepRunRecord } from '../../sweep/types';

/** The logged points of a page run, oldest first. */
export const runInspect = (run: Partial<Pick<RunRecord, 'inspect'>> | undefined): InspectPoint[] => run?.inspect ?? [];

/** The final point of a sweep run. */
export const sweepRunInspect = (run: Pick<SweepRunRecord, 'inspect'>): InspectPoint | undefined => run.inspect;
