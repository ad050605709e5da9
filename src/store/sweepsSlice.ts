/**
 * Sweeps: the definition being edited (in the URL), every kept sweep with its runs' statuses and logged
 * points (in IndexedDB), the running one's progress, the calibration behind the time estimate, and the
 * runs picked for the loss-curve view. The engine's messages for sweeps are applied by sweepMessages.ts.
 */
import type { RunConfig } from '../config/schema';
import { buildGrid, DEFAULT_SWEEP, gridErrors, taskAxes } from '../sweep/grid';
import { limitsError, sweepMemory } from '../sweep/estimate';
import { csvToSweep } from '../sweep/csvImport';
import { jsonToSweep } from '../sweep/io';
import { isFinished, type SweepDef, type SweepRecord, type SweepRunRecord } from '../sweep/types';
import { upgradeKept } from '../sweep/upgrade';
import { errorText, isPending, nextId, request, type GetLab, type LabContext, type SetLab, type SliceCreator } from './context';
import { keptSweepProblem } from './keptChecks';
import { deleteSweep, loadSweeps, saveSweep } from './persist';
import { heldElsewhere, holdSweepLock, releaseSweepLock, whenReleased } from './sweepLocks';

export interface SweepProgress {
  adapterStepsPerSec: number;
  etaSec: number;
}

export interface Calibration {
  key: string;
  stepsPerSec: number;
  message?: string;
}

export interface SweepsSlice {
  sweepDef: SweepDef;
  sweepScale: 'full' | 'quick';
  sweeps: SweepRecord[];
  viewedSweepId: string | null;
  /** The sweep training now, and the engine id of this launch (a resume is a new launch). */
  activeSweep: { sweepId: string; launchId: string } | null;
  /** Kept sweeps that another tab of this browser is training now (sweepLocks.ts): shown, not resumable here. */
  sweepsElsewhere: string[];
  sweepProgress: SweepProgress | null;
  calibration: Calibration | null;
  /** Runs of the viewed sweep picked in the table or on a chart (loss curves, export). */
  selectedRuns: string[];
  setSweepDef(def: SweepDef): void;
  setSweepScale(scale: 'full' | 'quick'): void;
  /**
   * Build the grid from `base` (default: the page's settings) and start it. A refusal (invalid grid,
   * over this GPU's limits, a sweep already running) becomes a notice; returns its reasons ([] = started).
   */
  startSweep(opts?: { name?: string; presetId?: string; base?: RunConfig }): string[];
  cancelSweep(): void;
  resumeSweep(id: string): void;
  removeSweep(id: string): void;
  viewSweep(id: string | null): void;
  toggleSelectedRun(runId: string): void;
  /**
   * View a sweep exported as JSON, or a sweep CSV (the page's, or sweep_with_peft.py's results.csv: results
   * without curves); a bad file is a notice naming it and changes nothing. Returns whether it was taken.
   */
  importSweepJson(fileName: string, text: string): boolean;
  /** Time a few steps of `config` on the engine (the time estimate), once per config. */
  calibrate(config: RunConfig): void;
  /** Put the sweeps kept in IndexedDB back (at start-up). */
  hydrateSweeps(): Promise<void>;
}

export const calibrationKey = (c: RunConfig) => JSON.stringify({ ...c, lr: 0, seed: 0 });

/**
 * Unfinished runs start over: their partial points are dropped. So does a run that ended early (diverged,
 * collapsed) in a batch that was cut off: its weights come only at the batch's end, and training it again
 * with the rest of its batch keeps every batch as it was, so a resumed sweep gives the same numbers, bit
 * for bit, as one never cut off. (An imported sweep has no weights: its finished runs stay.)
 */
const unfinishedCleared = (rec: SweepRecord, state: SweepRecord['state']): SweepRecord => ({
  ...rec,
  state,
  runs: rec.runs.map((r) => (isFinished(r) && (r.hasWeights || rec.state === 'imported') ? r : { ...r, status: null, points: [], hasWeights: false, inspect: undefined })),
});

const keptName = (rec: unknown) => {
  const r = rec as { name?: unknown; id?: unknown } | null;
  return typeof r?.name === 'string' ? `"${r.name}"` : typeof r?.id === 'string' ? r.id : 'no id';
};

/**
 * Write a sweep to IndexedDB; a failure (storage full, no storage) is a notice naming the sweep. The
 * sweep stays on the page as it is; the next write of it tries again.
 */
export function persistSweep(get: GetLab, id: string): Promise<void> {
  const rec = get().sweeps.find((s) => s.id === id);
  if (!rec) return Promise.resolve();
  return saveSweep(rec).catch((e) => get().notify(`Could not keep sweep "${rec.name}" in this browser (it stays on this page until a reload): ${errorText(e)}`));
}

/** Read sweep `id` again as the tab that trained it left it (it let its lock go); still running = cut off. */
async function rereadSweep(set: SetLab, get: GetLab, id: string): Promise<void> {
  let rec: SweepRecord | undefined;
  try {
    rec = (await loadSweeps()).find((s) => s.id === id);
  } catch (e) {
    get().notify(`Could not read kept sweeps: ${errorText(e)}`);
  }
  const fresh = rec && !keptSweepProblem(rec) ? upgradeKept(rec) : undefined;
  set((st) => ({
    sweepsElsewhere: st.sweepsElsewhere.filter((x) => x !== id),
    // removed in the other tab: gone here too
    sweeps: fresh ? st.sweeps.map((s) => (s.id === id ? (fresh.state === 'running' ? unfinishedCleared(fresh, 'interrupted') : fresh) : s)) : st.sweeps.filter((s) => s.id !== id),
  }));
}

export function patchSweep(set: SetLab, id: string, f: (s: SweepRecord) => SweepRecord): void {
  set((st) => ({ sweeps: st.sweeps.map((s) => (s.id === id ? f(s) : s)) }));
}

/** Send the unfinished runs of a sweep to the engine (a new launch id, and run ids of its own, each time). */
function launch(set: SetLab, ctx: LabContext, rec: SweepRecord): void {
  const launchId = `${rec.id}#${++ctx.seq}`;
  const todo = rec.runs.filter((r) => !isFinished(r));
  for (const [id, own] of ctx.sweepOwner) if (own.sweepId === rec.id) ctx.sweepOwner.delete(id);
  const runs = todo.map((r) => {
    const engineId = `${r.runId}@${launchId}`;
    ctx.sweepOwner.set(engineId, { sweepId: rec.id, runId: r.runId, launchId });
    ctx.pointBuckets.delete(r.runId); // its points start over
    return { runId: engineId, config: r.config };
  });
  set({ activeSweep: { sweepId: rec.id, launchId }, sweepProgress: null, viewedSweepId: rec.id });
  holdSweepLock(ctx, rec.id); // other tabs see that this one trains it
  ctx.send({ type: 'sweep', sweepId: launchId, runs });
}

/** Why a sweep of `def` over `base` cannot start now ([] = it can). */
function refusal(get: GetLab, def: SweepDef, base: RunConfig): string[] {
  if (get().activeSweep) return ['A sweep is already running: cancel it first.'];
  const errs = gridErrors(def, base);
  if (errs.length) return errs;
  const gpu = get().gpu;
  const tooBig = limitsError(sweepMemory(buildGrid(def, base)), taskAxes(def, base.task), gpu.state === 'ready' ? { ...gpu.adapter.limits, budget: get().memoryBudget } : null);
  return tooBig ? [tooBig] : [];
}

export const createSweepsSlice: SliceCreator<SweepsSlice> = (set, get, ctx) => ({
  sweepDef: structuredClone(DEFAULT_SWEEP) as SweepDef,
  sweepScale: 'full',
  sweeps: [],
  viewedSweepId: null,
  activeSweep: null,
  sweepsElsewhere: [],
  sweepProgress: null,
  calibration: null,
  selectedRuns: [],
  setSweepDef: (sweepDef) => set({ sweepDef }),
  setSweepScale: (sweepScale) => set({ sweepScale }),
  startSweep: (opts = {}) => {
    const def = get().sweepDef;
    const base = opts.base ?? get().config;
    const refused = refusal(get, def, base);
    if (refused.length) {
      get().notify(`Sweep not started: ${refused.join('; ')}`);
      return refused;
    }
    const grid = buildGrid(def, base);
    const id = nextId(ctx, 'sweep');
    const runs: SweepRunRecord[] = grid.map((g, i) => ({ ...g, runId: `${id}-${i}`, status: null, points: [] }));
    const name = opts.name ?? `${grid.length} runs · r ${def.ranks.join(',')} · lr 2^${def.lr.from}..2^${def.lr.to}`;
    const rec: SweepRecord = { id, name, createdAt: Date.now(), def, base, presetId: opts.presetId, state: 'running', runs };
    set((st) => ({ sweeps: [...st.sweeps, rec], selectedRuns: [] }));
    launch(set, ctx, rec);
    persistSweep(get, id);
    return [];
  },
  cancelSweep: () => {
    const a = get().activeSweep;
    if (a) ctx.send({ type: 'cancel-sweep', sweepId: a.launchId });
  },
  resumeSweep: (id) => {
    const rec = get().sweeps.find((s) => s.id === id);
    if (!rec || get().activeSweep || rec.runs.every(isFinished)) return;
    if (get().sweepsElsewhere.includes(id)) {
      get().notify(`Sweep "${rec.name}" is training in another tab of this browser: it is not resumed here (its runs would train twice).`);
      return;
    }
    const fresh = unfinishedCleared(rec, 'running');
    patchSweep(set, id, () => fresh);
    launch(set, ctx, fresh);
    persistSweep(get, id);
  },
  removeSweep: (id) => {
    if (get().activeSweep?.sweepId === id) get().cancelSweep();
    releaseSweepLock(ctx, id);
    set((st) => ({ sweeps: st.sweeps.filter((s) => s.id !== id), viewedSweepId: st.viewedSweepId === id ? null : st.viewedSweepId }));
    deleteSweep(id).catch((e) => get().notify(`Could not delete the sweep from this browser: ${errorText(e)}`));
  },
  viewSweep: (id) => set({ viewedSweepId: id, selectedRuns: [] }),
  toggleSelectedRun: (runId) => set((st) => ({ selectedRuns: st.selectedRuns.includes(runId) ? st.selectedRuns.filter((x) => x !== runId) : [...st.selectedRuns, runId] })),
  importSweepJson: (fileName, text) => {
    let rec: SweepRecord;
    try {
      // The page's CSV download and sweep_with_peft.py's results.csv start with the CSV header's runId.
      rec = text.startsWith('runId,') ? csvToSweep(text, fileName.replace(/\.csv$/i, ''), nextId(ctx, 'csv')) : jsonToSweep(text);
    } catch (e) {
      get().notify(`Sweep import rejected: ${fileName}: ${errorText(e)}`);
      return false;
    }
    // A sweep that was running when exported is viewed as imported; a clash of ids gets a new id.
    const id = get().sweeps.some((s) => s.id === rec.id) ? `${rec.id}-import-${++ctx.seq}` : rec.id;
    const imported: SweepRecord = { ...rec, id, state: rec.state === 'running' ? 'imported' : rec.state };
    set((st) => ({ sweeps: [...st.sweeps, imported], viewedSweepId: id, selectedRuns: [] }));
    persistSweep(get, id);
    return true;
  },
  calibrate: (config) => {
    const key = calibrationKey(config);
    if (get().calibration?.key === key || isPending(ctx, key)) return;
    void request(ctx, (requestId) => ({ type: 'calibrate', requestId, config }), key).then((m) => {
      if (m.type === 'calibrate-result') set({ calibration: { key, stepsPerSec: m.stepsPerSec, message: m.message } });
    });
  },
  hydrateSweeps: async () => {
    let kept: SweepRecord[];
    try {
      kept = await loadSweeps();
    } catch (e) {
      get().notify(`Could not read kept sweeps: ${errorText(e)}`);
      return;
    }
    // A damaged record is left out (and left in IndexedDB), with a notice; the others load.
    const good = kept.filter((rec) => {
      const problem = keptSweepProblem(rec);
      if (problem) get().notify(`A kept sweep could not be read and is not shown (${keptName(rec)}): ${problem}`);
      return !problem;
    });
    // A sweep still marked running trains in another tab (its lock is held), or was cut off by a
    // reload: then keep its finished runs and offer to resume.
    const upgraded = good.map(upgradeKept);
    const elsewhere = await heldElsewhere(upgraded.filter((s) => s.state === 'running').map((s) => s.id));
    const fixed = upgraded.map((s) => (s.state === 'running' && !elsewhere.has(s.id) ? unfinishedCleared(s, 'interrupted') : s));
    set((st) => {
      const known = new Set(st.sweeps.map((s) => s.id));
      const sweeps = [...fixed.filter((s) => !known.has(s.id)), ...st.sweeps];
      return { sweeps, viewedSweepId: st.viewedSweepId ?? sweeps.at(-1)?.id ?? null, sweepsElsewhere: [...st.sweepsElsewhere, ...elsewhere] };
    });
    for (const id of elsewhere) whenReleased(id, () => rereadSweep(set, get, id));
  },
});
