/**
 * A sweep kept in IndexedDB by an older version of the page, brought to the current shape: a definition
 * axis added since (the language model's target modules) takes its default (not swept), and each run's
 * axes gain the value read from its config. A current sweep comes back equal.
 */
import { formatTargetSet } from '../tasks/lmTargets';
import { DEFAULT_SWEEP } from './grid';
import type { SweepDef, SweepRecord } from './types';

export function upgradeKept(rec: SweepRecord): SweepRecord {
  const def: SweepDef = { ...structuredClone(DEFAULT_SWEEP as SweepDef), ...rec.def };
  const runs = rec.runs.map((r) => (r.axes.lmTargets === undefined ? { ...r, axes: { ...r.axes, lmTargets: formatTargetSet(r.config.lmTargets) } } : r));
  return { ...rec, def, runs };
}
