/**
 * The training page: the settings, the runs on the chart (the last MAX_RUNS, each with its logged
 * points and its inspections), the current run, the chart's settings, and the run buttons' actions. A
 * run's trained tensors arrive when it ends and are kept in the store's context (not rendered):
 * `hasWeights` says so.
 */
import { changedFields, DEFAULT_CONFIG, resetKind, type RunConfig } from '../config/schema';
import type { FromEngine, MetricPoint, RunStatus, TensorMap } from '../engine/protocol';
import type { InspectPoint } from '../engine/inspect';
import { nextId, type GetLab, type LabContext, type SetLab, type SliceCreator } from './context';
import { appendInspect } from './inspectHistory';
import { runLabel } from './runLabel';
import { keepPoints } from './thinPoints';

export interface RunRecord {
  id: string;
  config: RunConfig;
  label: string;
  status: RunStatus;
  points: MetricPoint[];
  /** What was inside the adapter at some logged steps, oldest first (store/inspectHistory.ts thins it). */
  inspect: InspectPoint[];
  /** The engine sent the trained tensors (kept in the store's context): the run can be exported. */
  hasWeights?: boolean;
}

export interface ChartSettings {
  logY: boolean;
  /** De-biased EMA weight, 0 (raw) .. 0.99. */
  smoothing: number;
}

/** How many finished runs stay on the chart for comparison. */
export const MAX_RUNS = 6;
const ACTIVE: RunStatus['state'][] = ['building', 'running', 'paused'];

export const isActive = (r: RunRecord | undefined) => !!r && ACTIVE.includes(r.status.state);

export interface RunsSlice {
  config: RunConfig;
  runs: RunRecord[];
  currentId: string | null;
  chart: ChartSettings;
  /** Change settings: live ones apply to the running run; others reset it, with a notice. */
  setConfig(next: RunConfig): void;
  setChart(patch: Partial<ChartSettings>): void;
  train(): void;
  pause(): void;
  step(): void;
  reset(): void;
  removeRun(id: string): void;
  /** A new run of `config` whose trainable tensors start from `initTensors` (an imported adapter); returns its id. */
  trainFrom(config: RunConfig, initTensors: TensorMap, label: string): string;
  /** A page run's trained tensors, when they arrived (for exports and IndexedDB). */
  trainedTensors(runId: string): TensorMap | undefined;
  /** Put kept runs back on the chart, before the runs started since the page opened. */
  restoreRuns(kept: { rec: RunRecord; tensors?: TensorMap }[]): void;
  /** Draw `module`'s update (PEFT name) in the current run's next inspections' heatmap. */
  inspectModule(module: string): void;
}

/** Set the runs; the tensors of runs no longer on the chart are let go. */
function setRuns(set: SetLab, get: GetLab, ctx: LabContext, f: (runs: RunRecord[]) => RunRecord[]): void {
  set((s) => ({ runs: f(s.runs) }));
  const ids = new Set(get().runs.map((r) => r.id));
  for (const id of ctx.runTensors.keys()) if (!ids.has(id)) ctx.runTensors.delete(id);
  for (const id of ctx.pointBuckets.keys()) if (!ids.has(id)) ctx.pointBuckets.delete(id);
}

export const createRunsSlice: SliceCreator<RunsSlice> = (set, get, ctx) => {
  const current = () => get().runs.find((r) => r.id === get().currentId);
  const patchRun = (id: string, f: (r: RunRecord) => RunRecord) => set((s) => ({ runs: s.runs.map((r) => (r.id === id ? f(r) : r)) }));

  const startRun = (paused: boolean, config = get().config, label = runLabel(config), initTensors?: TensorMap) => {
    const id = nextId(ctx, 'run');
    const rec: RunRecord = { id, config, label, status: { state: 'building', step: 0, stepsPerSec: 0 }, points: [], inspect: [] };
    set({ config, currentId: id });
    setRuns(set, get, ctx, (runs) => [...runs, rec].slice(-MAX_RUNS));
    ctx.send({ type: 'start', runId: id, config, paused, initTensors });
    return id;
  };

  return {
    config: { ...DEFAULT_CONFIG },
    runs: [],
    currentId: null,
    chart: { logY: true, smoothing: 0.6 },
    setConfig: (next) => {
      const prev = get().config;
      const kind = resetKind(prev, next);
      if (kind === 'none') return;
      set({ config: next });
      const run = current();
      if (!isActive(run)) return;
      if (kind === 'live') {
        ctx.send({ type: 'live', config: next });
        patchRun(run!.id, (r) => ({ ...r, config: next, label: runLabel(next) }));
      } else {
        const fields = changedFields(prev, next).join(', ');
        // While running, the step advances with the logged points (statuses come on state changes only).
        const step = Math.max(run!.status.step, run!.points[run!.points.length - 1]?.step ?? 0);
        ctx.send({ type: 'stop' });
        get().notify(`${fields} changed: the run was reset (step ${step} kept on the chart). Press Train for a new run.`);
      }
    },
    setChart: (patch) => set((s) => ({ chart: { ...s.chart, ...patch } })),
    train: () => {
      const run = current();
      if (run && run.status.state === 'paused') ctx.send({ type: 'resume' });
      else if (!isActive(run)) startRun(false);
    },
    pause: () => {
      if (current()?.status.state === 'running') ctx.send({ type: 'pause' });
    },
    step: () => {
      const run = current();
      if (run && run.status.state === 'paused') ctx.send({ type: 'step' });
      else if (!isActive(run)) {
        startRun(true);
        ctx.send({ type: 'step' });
      }
    },
    reset: () => {
      if (isActive(current())) ctx.send({ type: 'stop' });
      set({ currentId: null });
    },
    removeRun: (id) => setRuns(set, get, ctx, (runs) => runs.filter((r) => r.id !== id)),
    trainFrom: (config, initTensors, label) => {
      if (isActive(current())) ctx.send({ type: 'stop' });
      return startRun(false, config, label, initTensors);
    },
    trainedTensors: (runId) => ctx.runTensors.get(runId),
    restoreRuns: (kept) => {
      const here = new Set(get().runs.map((r) => r.id));
      const back = kept.filter((k) => !here.has(k.rec.id));
      for (const k of back) if (k.tensors) ctx.runTensors.set(k.rec.id, k.tensors);
      // runs kept before inspections existed have none
      setRuns(set, get, ctx, (runs) => [...back.map((k) => ({ ...k.rec, inspect: k.rec.inspect ?? [], hasWeights: !!k.tensors })), ...runs].slice(-MAX_RUNS));
    },
    inspectModule: (module) => {
      if (isActive(current())) ctx.send({ type: 'inspect-module', module });
    },
  };
};

/**
 * Engine -> the page's runs: logged points, statuses, inspections and trained tensors. Metrics arrive
 * batched (at most ~10 a second), inspections at most ~4 a second.
 */
export function receiveRunMessage(m: FromEngine, set: SetLab, get: GetLab, ctx: LabContext): void {
  switch (m.type) {
    case 'metrics': {
      // The engine posts statuses on state changes only; the step advances with the logged points.
      const last = m.points[m.points.length - 1];
      set((st) => ({
        runs: st.runs.map((r) =>
          r.id === m.runId ? { ...r, points: keepPoints(ctx.pointBuckets, r.id, r.points, m.points), status: last ? { ...r.status, step: Math.max(r.status.step, last.step), stepsPerSec: last.stepsPerSec } : r.status } : r,
        ),
      }));
      break;
    }
    case 'status':
      set((st) => ({ runs: st.runs.map((r) => (r.id === m.runId ? { ...r, status: m.status } : r)) }));
      break;
    case 'inspect':
      set((st) => ({ runs: st.runs.map((r) => (r.id === m.runId ? { ...r, inspect: appendInspect(r.inspect, m.point) } : r)) }));
      break;
    case 'weights':
      if (!get().runs.some((r) => r.id === m.runId)) return; // taken off the chart meanwhile
      ctx.runTensors.set(m.runId, m.tensors);
      set((st) => ({ runs: st.runs.map((r) => (r.id === m.runId ? { ...r, hasWeights: true } : r)) }));
      break;
  }
}
