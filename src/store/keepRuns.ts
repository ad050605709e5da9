/**
 * The training page's finished runs survive a reload: each run that has ended is written to IndexedDB
 * (record, logged points and trained tensors, so it can still be exported), again whenever it changes
 * (its tensors arrive just after its final status); a run taken off the chart, or pushed off by newer
 * ones (MAX_RUNS), is deleted. The kept runs come back on the chart at start-up.
 */
import type { StoreApi } from 'zustand';
import { deleteRun, loadRuns, saveRun } from './persist';
import { errorText } from './context';
import { keptRunProblem } from './keptChecks';
import { isActive, type LabState, type RunRecord } from './store';

const signature = (r: RunRecord) => `${r.status.state}:${r.status.step}:${r.points.length}:${r.inspect?.length ?? 0}:${!!r.hasWeights}`;

/**
 * Put the kept runs back on the chart, then follow the store, writing every run that ended or changed
 * and deleting those that left the chart. Returns the unsubscribe function.
 */
export function startKeepingRuns(store: StoreApi<LabState>): () => void {
  /** run id -> what was last written (a signature) and its order on the chart. */
  const kept = new Map<string, { sig: string; order: number }>();
  let nextOrder = 0;
  const complain = (what: string, e: unknown, then = '') => store.getState().notify(`Could not ${what} in this browser${then}: ${errorText(e)}`);

  const unsubscribe = store.subscribe((s, prev) => {
    if (s.runs === prev.runs) return;
    const ids = new Set(s.runs.map((r) => r.id));
    for (const r of prev.runs) {
      if (ids.has(r.id) || !kept.has(r.id)) continue;
      kept.delete(r.id);
      deleteRun(r.id).catch((e) => complain('forget a removed run', e));
    }
    for (const r of s.runs) {
      if (isActive(r)) continue;
      const sig = signature(r);
      const k = kept.get(r.id);
      if (k?.sig === sig) continue;
      const order = k?.order ?? Date.now() + nextOrder++ / 1000;
      kept.set(r.id, { sig, order });
      saveRun({ id: r.id, rec: r, tensors: s.trainedTensors(r.id), order }).catch((e) => complain(`keep run ${r.label}`, e, ' (it stays on the chart until a reload)'));
    }
  });

  // Before any run started since the page opened: the kept runs go first on the chart.
  const hydrate = async () => {
    let runs;
    try {
      runs = await loadRuns<RunRecord>();
    } catch (e) {
      complain('read the kept runs', e);
      return;
    }
    // A damaged record is left out (and left in IndexedDB), with a notice; the others load.
    runs = runs.filter((k) => {
      const problem = keptRunProblem(k);
      if (problem) store.getState().notify(`A kept run could not be read and is not shown (${typeof k?.id === 'string' ? k.id : 'no id'}): ${problem}`);
      return !problem;
    });
    for (const k of runs) kept.set(k.id, { sig: signature({ ...k.rec, hasWeights: !!k.tensors }), order: k.order });
    if (runs.length) store.getState().restoreRuns(runs);
  };
  void hydrate();
  return unsubscribe;
}
