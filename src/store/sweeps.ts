/**
 * The sweeps slice: its own Zustand store (serialisable state only). The definition being edited (in the
 * URL), every kept sweep with its runs' statuses and logged points (in IndexedDB), the running one's
 * progress, the calibration behind the time estimate, and the runs picked for the loss-curve view.
 *
 * Engine messages reach it through routeSweepMessage (called first by the main store's
 * applyEngineMessage). A batched sweep posts many small messages (metrics of every run), so they are
 * queued and applied together every FLUSH_MS: one state update, one re-render, one IndexedDB write per
 * flush in which a run ended.
 */
import { create } from 'zustand';
import type { RunConfig } from '../config/schema';
import type { FromEngine } from '../engine/protocol';
import { buildGrid, DEFAULT_SWEEP, gridErrors } from '../sweep/grid';
import { limitsError, sweepMemory, type BufferLimits } from '../sweep/estimate';
import { jsonToSweep } from '../sweep/io';
import { isFinished, type SweepDef, type SweepRecord, type SweepRunRecord } from '../sweep/types';
import { engineBridge } from './engineCalls';
import { deleteSweep, loadSweeps, saveRunWeights, saveSweep, type Tensors } from './persist';

export const FLUSH_MS = 150;

export interface SweepProgress {
  adapterStepsPerSec: number;
  etaSec: number;
}

export interface Calibration {
  key: string;
  stepsPerSec: number;
  message?: string;
}

export interface SweepsState {
  def: SweepDef;
  scale: 'full' | 'quick';
  sweeps: SweepRecord[];
  viewId: string | null;
  /** The sweep training now, and the engine id of this launch (a resume is a new launch). */
  active: { sweepId: string; launchId: string } | null;
  progress: SweepProgress | null;
  calibration: Calibration | null;
  selected: string[];
  message: string | null;
  setDef(def: SweepDef): void;
  setScale(scale: 'full' | 'quick'): void;
  /** Build the grid from `base` and start it; returns the reasons it was refused ([] = started). */
  start(base: RunConfig, limits: BufferLimits | null, opts?: { name?: string; presetId?: string }): string[];
  cancel(): void;
  resume(id: string): void;
  remove(id: string): void;
  view(id: string | null): void;
  toggleSelected(runId: string): void;
  importJson(text: string): string | null;
  calibrate(config: RunConfig): void;
  hydrate(): Promise<void>;
  dismissMessage(): void;
}

let counter = 0;
const owner = new Map<string, string>(); // runId -> sweepId, for the runs of launched sweeps
const calibrations = new Map<string, string>(); // requestId -> calibration key
let queue: FromEngine[] = [];
let timer: ReturnType<typeof setTimeout> | null = null;

export const calibrationKey = (c: RunConfig) => JSON.stringify({ ...c, lr: 0, seed: 0 });

function persist(rec: SweepRecord | undefined): void {
  if (!rec) return;
  saveSweep(rec).catch((e) => useSweeps.setState({ message: `Could not keep the sweep in this browser: ${e instanceof Error ? e.message : String(e)}` }));
}

const sweepOf = (id: string) => useSweeps.getState().sweeps.find((s) => s.id === id);

function patchSweep(id: string, f: (s: SweepRecord) => SweepRecord): void {
  useSweeps.setState((st) => ({ sweeps: st.sweeps.map((s) => (s.id === id ? f(s) : s)) }));
}

/** Send the unfinished runs of a sweep to the engine (a new launch id each time). */
function launch(rec: SweepRecord): void {
  const launchId = `${rec.id}#${++counter}`;
  const todo = rec.runs.filter((r) => !isFinished(r));
  for (const r of todo) owner.set(r.runId, rec.id);
  useSweeps.setState({ active: { sweepId: rec.id, launchId }, progress: null, viewId: rec.id });
  engineBridge.send({ type: 'sweep', sweepId: launchId, runs: todo.map((r) => ({ runId: r.runId, config: r.config })) });
}

export const useSweeps = create<SweepsState>()((set, get) => ({
  def: structuredClone(DEFAULT_SWEEP) as SweepDef,
  scale: 'full',
  sweeps: [],
  viewId: null,
  active: null,
  progress: null,
  calibration: null,
  selected: [],
  message: null,
  setDef: (def) => set({ def }),
  setScale: (scale) => set({ scale }),
  start: (base, limits, opts = {}) => {
    if (get().active) return ['A sweep is already running: cancel it first.'];
    const def = get().def;
    const errs = gridErrors(def, base);
    if (errs.length) return errs;
    const grid = buildGrid(def, base);
    const tooBig = limitsError(sweepMemory(grid), def, limits);
    if (tooBig) return [tooBig];
    const id = `sweep-${Date.now().toString(36)}-${++counter}`;
    const runs: SweepRunRecord[] = grid.map((g, i) => ({ ...g, runId: `${id}-${i}`, status: null, points: [] }));
    const name = opts.name ?? `${grid.length} runs · r ${def.ranks.join(',')} · lr 2^${def.lr.from}..2^${def.lr.to}`;
    const rec: SweepRecord = { id, name, createdAt: Date.now(), def, base, presetId: opts.presetId, state: 'running', runs };
    set((st) => ({ sweeps: [...st.sweeps, rec], selected: [], message: null }));
    launch(rec);
    persist(rec);
    return [];
  },
  cancel: () => {
    const a = get().active;
    if (a) engineBridge.send({ type: 'cancel-sweep', sweepId: a.launchId });
  },
  resume: (id) => {
    const rec = sweepOf(id);
    if (!rec || get().active || rec.runs.every(isFinished)) return;
    // Unfinished runs start over: their partial points are dropped.
    const fresh: SweepRecord = { ...rec, state: 'running', runs: rec.runs.map((r) => (isFinished(r) ? r : { ...r, status: null, points: [], hasWeights: false })) };
    patchSweep(id, () => fresh);
    launch(fresh);
    persist(fresh);
  },
  remove: (id) => {
    if (get().active?.sweepId === id) get().cancel();
    set((st) => ({ sweeps: st.sweeps.filter((s) => s.id !== id), viewId: st.viewId === id ? null : st.viewId }));
    deleteSweep(id).catch(() => {});
  },
  view: (id) => set({ viewId: id, selected: [] }),
  toggleSelected: (runId) => set((st) => ({ selected: st.selected.includes(runId) ? st.selected.filter((x) => x !== runId) : [...st.selected, runId] })),
  importJson: (text) => {
    let rec: SweepRecord;
    try {
      rec = jsonToSweep(text);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    // A sweep that was running when exported is viewed as imported; a clash of ids gets a new id.
    const id = get().sweeps.some((s) => s.id === rec.id) ? `${rec.id}-import-${++counter}` : rec.id;
    const imported: SweepRecord = { ...rec, id, state: rec.state === 'running' ? 'imported' : rec.state };
    set((st) => ({ sweeps: [...st.sweeps, imported], viewId: id, selected: [] }));
    persist(imported);
    return null;
  },
  calibrate: (config) => {
    const key = calibrationKey(config);
    if (get().calibration?.key === key || [...calibrations.values()].includes(key)) return;
    const requestId = `sweep-cal-${++counter}`;
    calibrations.set(requestId, key);
    engineBridge.send({ type: 'calibrate', requestId, config });
  },
  hydrate: async () => {
    let kept: SweepRecord[];
    try {
      kept = await loadSweeps();
    } catch (e) {
      set({ message: `Could not read kept sweeps: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    // A sweep still marked running was cut off by a reload: keep its finished runs, offer to resume.
    const fixed = kept.map((s) => (s.state === 'running' ? { ...s, state: 'interrupted' as const, runs: s.runs.map((r) => (isFinished(r) ? r : { ...r, status: null, points: [], hasWeights: false })) } : s));
    set((st) => {
      const known = new Set(st.sweeps.map((s) => s.id));
      const sweeps = [...fixed.filter((s) => !known.has(s.id)), ...st.sweeps];
      return { sweeps, viewId: st.viewId ?? sweeps.at(-1)?.id ?? null };
    });
  },
  dismissMessage: () => set({ message: null }),
}));

/** Store a finished run's tensors, then mark the run exportable. */
function keepWeights(sweepId: string, runId: string, tensors: Tensors): void {
  saveRunWeights(sweepId, runId, tensors)
    .then(() => {
      patchSweep(sweepId, (s) => ({ ...s, runs: s.runs.map((r) => (r.runId === runId ? { ...r, hasWeights: true } : r)) }));
      persist(sweepOf(sweepId));
    })
    .catch((e) => useSweeps.setState({ message: `Could not keep the trained weights of run ${runId} in this browser (it cannot be exported): ${e instanceof Error ? e.message : String(e)}` }));
}

/** Apply every queued engine message in one state update. Exported for tests. */
export function flushSweepMessages(): void {
  timer = null;
  const msgs = queue;
  queue = [];
  if (msgs.length === 0) return;
  const ended = new Set<string>();
  let st = useSweeps.getState();
  let sweeps = st.sweeps;
  let { active, progress } = st;
  const patchRun = (runId: string, f: (r: SweepRunRecord) => SweepRunRecord) => {
    const sid = owner.get(runId);
    sweeps = sweeps.map((s) => (s.id !== sid ? s : { ...s, runs: s.runs.map((r) => (r.runId === runId ? f(r) : r)) }));
  };
  for (const m of msgs) {
    if (m.type === 'metrics') patchRun(m.runId, (r) => ({ ...r, points: [...r.points, ...m.points] }));
    else if (m.type === 'status') {
      patchRun(m.runId, (r) => ({ ...r, status: m.status }));
      if (isFinished({ status: m.status }) || m.status.state === 'failed') ended.add(owner.get(m.runId)!);
    } else if (m.type === 'sweep-progress' && active?.launchId === m.sweepId) progress = { adapterStepsPerSec: m.adapterStepsPerSec, etaSec: m.etaSec };
    else if (m.type === 'sweep-done' && active?.launchId === m.sweepId) {
      const sid = active.sweepId;
      sweeps = sweeps.map((s) => (s.id !== sid ? s : { ...s, state: m.cancelled ? 'cancelled' : 'done' }));
      ended.add(sid);
      active = null;
      progress = null;
    }
  }
  useSweeps.setState({ sweeps, active, progress });
  st = useSweeps.getState();
  for (const id of ended) persist(st.sweeps.find((s) => s.id === id));
}

/**
 * Engine -> sweeps. Returns true when the message belonged to a sweep (the caller stops there):
 * sweep progress and completion, calibration results asked for here, and per-run messages of sweep runs.
 */
export function routeSweepMessage(m: FromEngine): boolean {
  switch (m.type) {
    case 'sweep-progress':
    case 'sweep-done':
      break;
    case 'calibrate-result': {
      const key = calibrations.get(m.requestId);
      if (key === undefined) return false;
      calibrations.delete(m.requestId);
      useSweeps.setState({ calibration: { key, stepsPerSec: m.stepsPerSec, message: m.message } });
      return true;
    }
    case 'metrics':
    case 'status':
      if (!owner.has(m.runId)) return false;
      break;
    case 'error':
      // A lost device ends the sweep without a 'sweep-done': keep what finished, offer to resume.
      if (m.kind === 'device-lost') {
        const a = useSweeps.getState().active;
        if (a) {
          flushSweepMessages();
          patchSweep(a.sweepId, (s) => ({ ...s, state: 'interrupted' }));
          useSweeps.setState({ active: null, progress: null });
          persist(sweepOf(a.sweepId));
        }
      }
      return false; // the main store shows the error too
    case 'weights': {
      // Kept in IndexedDB, not in memory (a sweep of ~100 runs would hold them all), for export.
      const sid = owner.get(m.runId);
      if (sid === undefined) return false;
      keepWeights(sid, m.runId, m.tensors);
      return true;
    }
    default:
      return false;
  }
  queue.push(m);
  timer ??= setTimeout(flushSweepMessages, FLUSH_MS);
  return true;
}
