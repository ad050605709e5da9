/**
 * The training page's finished runs survive a reload: each run that has ended is written to IndexedDB
 * (record, logged points and trained tensors, so it can still be exported), again whenever it changes
 * (its tensors arrive just after its final status); a run taken off the chart, or pushed off by newer
 * ones (MAX_RUNS), is deleted. hydrateRuns puts the kept runs back on the chart at start-up.
 */
import { deleteRun, loadRuns, saveRun } from './persist';
import { runWeights } from './engineCalls';
import { isActive, MAX_RUNS, useLab, type RunRecord } from './store';

/** run id -> what was last written (a signature) and its order on the chart. */
const kept = new Map<string, { sig: string; order: number }>();
let nextOrder = 0;

const signature = (r: RunRecord) => `${r.status.state}:${r.status.step}:${r.points.length}:${!!r.hasWeights}`;

function complain(what: string, e: unknown): void {
  useLab.setState((s) => ({ notices: [...s.notices, `Could not ${what} in this browser: ${e instanceof Error ? e.message : String(e)}`] }));
}

/** Start following the store; returns the unsubscribe function. */
export function startKeepingRuns(): () => void {
  return useLab.subscribe((s, prev) => {
    if (s.runs === prev.runs) return;
    const ids = new Set(s.runs.map((r) => r.id));
    for (const r of prev.runs) {
      if (ids.has(r.id) || !kept.has(r.id)) continue;
      kept.delete(r.id);
      runWeights.delete(r.id);
      deleteRun(r.id).catch((e) => complain('forget a removed run', e));
    }
    for (const r of s.runs) {
      if (isActive(r)) continue;
      const sig = signature(r);
      const k = kept.get(r.id);
      if (k?.sig === sig) continue;
      const order = k?.order ?? Date.now() + nextOrder++ / 1000;
      kept.set(r.id, { sig, order });
      saveRun({ id: r.id, rec: r, tensors: runWeights.get(r.id), order }).catch((e) => complain(`keep run ${r.label}`, e));
    }
  });
}

/** Put the kept runs back on the chart (before any run started since the page opened). */
export async function hydrateRuns(): Promise<void> {
  let runs;
  try {
    runs = await loadRuns<RunRecord>();
  } catch (e) {
    complain('read the kept runs', e);
    return;
  }
  if (runs.length === 0) return;
  for (const k of runs) {
    kept.set(k.id, { sig: signature(k.rec), order: k.order });
    if (k.tensors) runWeights.set(k.id, k.tensors);
  }
  useLab.setState((s) => {
    const here = new Set(s.runs.map((r) => r.id));
    const back = runs.filter((k) => !here.has(k.id)).map((k) => ({ ...k.rec, hasWeights: !!k.tensors }));
    return { runs: [...back, ...s.runs].slice(-MAX_RUNS) };
  });
}
