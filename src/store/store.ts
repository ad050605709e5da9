/**
 * The one store: serialisable state only (no GPU objects, no workers). Actions send typed messages to
 * the engine through `engineBridge`; engine messages come back through `applyEngineMessage`.
 * UI -> store -> engine -> GPU -> metrics -> store -> charts.
 */
import { create } from 'zustand';
import type { AdapterSummary } from '../gpu/device';
import { changedFields, DEFAULT_CONFIG, resetKind, type RunConfig } from '../config/schema';
import type { FromEngine, MetricPoint, RunStatus, TensorMap } from '../engine/protocol';
import { runLabel } from './runLabel';
import { engineBridge, runWeights, settleEvaluation, settleForward } from './engineCalls';
import { routeSweepMessage } from './sweeps';

export type GpuStatus =
  | { state: 'probing' }
  | { state: 'ready'; adapter: AdapterSummary }
  | { state: 'error'; kind: string; message: string };

export interface RunRecord {
  id: string;
  config: RunConfig;
  label: string;
  status: RunStatus;
  points: MetricPoint[];
  /** The engine sent the trained tensors (kept in engineCalls.runWeights): the run can be exported. */
  hasWeights?: boolean;
}

export interface ChartSettings {
  logY: boolean;
  /** De-biased EMA weight, 0 (raw) .. 0.99. */
  smoothing: number;
}

/** How many finished runs stay on the chart for comparison. */
export const MAX_RUNS = 6;

export interface LabState {
  gpu: GpuStatus;
  config: RunConfig;
  /** Messages for the user: clamped link values, resets, errors. Newest last. */
  notices: string[];
  runs: RunRecord[];
  currentId: string | null;
  chart: ChartSettings;
  setGpu(gpu: GpuStatus): void;
  /** Change settings: live ones apply to the running run; others reset it, with a notice. */
  setConfig(next: RunConfig): void;
  setNotices(notices: string[]): void;
  dismissNotice(i: number): void;
  setChart(patch: Partial<ChartSettings>): void;
  train(): void;
  pause(): void;
  step(): void;
  reset(): void;
  removeRun(id: string): void;
  /** A new run of `config` whose trainable tensors start from `initTensors` (an imported adapter); returns its id. */
  trainFrom(config: RunConfig, initTensors: TensorMap, label: string): string;
}

export { engineBridge };

let runCounter = 0;
const newRunId = () => `run-${Date.now().toString(36)}-${++runCounter}`;
const ACTIVE: RunStatus['state'][] = ['building', 'running', 'paused'];

export const isActive = (r: RunRecord | undefined) => !!r && ACTIVE.includes(r.status.state);

export const useLab = create<LabState>()((set, get) => {
  const current = () => get().runs.find((r) => r.id === get().currentId);
  const patchRun = (id: string, f: (r: RunRecord) => RunRecord) => set((s) => ({ runs: s.runs.map((r) => (r.id === id ? f(r) : r)) }));

  const startRun = (paused: boolean, config = get().config, label = runLabel(config), initTensors?: TensorMap) => {
    const id = newRunId();
    const rec: RunRecord = { id, config, label, status: { state: 'building', step: 0, stepsPerSec: 0 }, points: [] };
    set((s) => ({ config, runs: [...s.runs, rec].slice(-MAX_RUNS), currentId: id }));
    engineBridge.send({ type: 'start', runId: id, config, paused, initTensors });
    return id;
  };

  return {
    gpu: { state: 'probing' },
    config: { ...DEFAULT_CONFIG },
    notices: [],
    runs: [],
    currentId: null,
    chart: { logY: true, smoothing: 0.6 },
    setGpu: (gpu) => set({ gpu }),
    setConfig: (next) => {
      const prev = get().config;
      const kind = resetKind(prev, next);
      if (kind === 'none') return;
      set({ config: next });
      const run = current();
      if (!isActive(run)) return;
      if (kind === 'live') {
        engineBridge.send({ type: 'live', config: next });
        patchRun(run!.id, (r) => ({ ...r, config: next, label: runLabel(next) }));
      } else {
        const fields = changedFields(prev, next).join(', ');
        // While running, the step advances with the logged points (statuses come on state changes only).
        const step = Math.max(run!.status.step, run!.points[run!.points.length - 1]?.step ?? 0);
        engineBridge.send({ type: 'stop' });
        set((s) => ({ notices: [...s.notices, `${fields} changed: the run was reset (step ${step} kept on the chart). Press Train for a new run.`] }));
      }
    },
    setNotices: (notices) => set({ notices }),
    dismissNotice: (i) => set((s) => ({ notices: s.notices.filter((_, j) => j !== i) })),
    setChart: (patch) => set((s) => ({ chart: { ...s.chart, ...patch } })),
    train: () => {
      const run = current();
      if (run && run.status.state === 'paused') engineBridge.send({ type: 'resume' });
      else if (!isActive(run)) startRun(false);
    },
    pause: () => {
      if (current()?.status.state === 'running') engineBridge.send({ type: 'pause' });
    },
    step: () => {
      const run = current();
      if (run && run.status.state === 'paused') engineBridge.send({ type: 'step' });
      else if (!isActive(run)) {
        startRun(true);
        engineBridge.send({ type: 'step' });
      }
    },
    reset: () => {
      if (isActive(current())) engineBridge.send({ type: 'stop' });
      set({ currentId: null });
    },
    removeRun: (id) => set((s) => ({ runs: s.runs.filter((r) => r.id !== id) })),
    trainFrom: (config, initTensors, label) => {
      if (isActive(current())) engineBridge.send({ type: 'stop' });
      return startRun(false, config, label, initTensors);
    },
  };
});

/** Engine -> store. Metrics arrive batched by the engine (at most ~10 messages a second). */
export function applyEngineMessage(m: FromEngine): void {
  if (routeSweepMessage(m)) return; // sweep progress and the runs of sweeps live in ./sweeps
  const s = useLab.getState();
  switch (m.type) {
    case 'ready':
      s.setGpu({ state: 'ready', adapter: m.adapter });
      break;
    case 'error':
      if (s.gpu.state !== 'ready') s.setGpu({ state: 'error', kind: m.kind, message: m.message });
      else useLab.setState((st) => ({ notices: [...st.notices, `GPU error (${m.kind}): ${m.message}`] }));
      break;
    case 'metrics': {
      // The engine posts statuses on state changes only; the step advances with the logged points.
      const last = m.points[m.points.length - 1];
      useLab.setState((st) => ({
        runs: st.runs.map((r) =>
          r.id === m.runId ? { ...r, points: [...r.points, ...m.points], status: last ? { ...r.status, step: Math.max(r.status.step, last.step), stepsPerSec: last.stepsPerSec } : r.status } : r,
        ),
      }));
      break;
    }
    case 'status':
      useLab.setState((st) => ({ runs: st.runs.map((r) => (r.id === m.runId ? { ...r, status: m.status } : r)) }));
      break;
    case 'weights':
      runWeights.set(m.runId, m.tensors);
      useLab.setState((st) => ({ runs: st.runs.map((r) => (r.id === m.runId ? { ...r, hasWeights: true } : r)) }));
      break;
    case 'forward-result':
      settleForward(m.requestId, { base: m.base, adapted: m.adapted });
      break;
    case 'forward-error':
      settleForward(m.requestId, new Error(m.message));
      break;
    case 'evaluate-result':
      settleEvaluation(m.requestId, m.evaluation);
      break;
    case 'evaluate-error':
      settleEvaluation(m.requestId, new Error(m.message));
      break;
  }
}
