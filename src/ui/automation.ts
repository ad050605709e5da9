/**
 * `window.loraLab`: a small scripting API of the page, used by the command line (scripts/lab.mjs) and by
 * tests through Playwright. It drives the same store and engine as the buttons do:
 *
 *   await loraLab.ready()                      -> the WebGPU adapter summary (throws if there is no GPU)
 *   loraLab.validate(config)                   -> strict config errors, each naming its field ([] = valid)
 *   await loraLab.train(config, { onProgress }) -> { runId, config, status, points } once the run ended
 *                                                 and its weights arrived; onProgress(point) per log step
 *   await loraLab.exportBundle(runId)          -> { name, base64 } the export zip (as the Export button)
 *   await loraLab.sweep(config, def, { onProgress }) -> a finished sweep as JSON and CSV (automationSweep.ts)
 *   loraLab.feedMetrics(runId, points)         -> applies logged points to a run as if the engine sent them
 *                                                 (tests of long runs: the store's and the chart's load)
 *   loraLab.version                            -> LoRA Lab's version
 * Everything crossing the page boundary is plain JSON (Playwright serialises it), hence base64.
 */
import { validateConfig, type RunConfig } from '../config/schema';
import type { MetricPoint, RunStatus } from '../engine/protocol';
import type { AdapterSummary } from '../gpu/device';
import { isActive, LAB_VERSION, useLab } from '../store/store';
import { runSweep, type SweepResult } from './automationSweep';

export interface TrainResult {
  runId: string;
  config: RunConfig;
  status: RunStatus;
  points: MetricPoint[];
}

export interface LoraLabApi {
  version: string;
  ready(): Promise<AdapterSummary>;
  validate(config: unknown): string[];
  train(config: unknown, opts?: { onProgress?: (p: MetricPoint & { steps: number }) => void }): Promise<TrainResult>;
  exportBundle(runId: string): Promise<{ name: string; base64: string }>;
  sweep(config: unknown, def: unknown, opts?: { onProgress?: (p: { done: number; total: number }) => void }): Promise<SweepResult>;
  feedMetrics(runId: string, points: MetricPoint[]): void;
}

declare global {
  interface Window {
    loraLab?: LoraLabApi;
  }
}

/** Resolves with the first store state for which `pick` returns a value. */
function when<T>(pick: (s: ReturnType<typeof useLab.getState>) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = (s: ReturnType<typeof useLab.getState>) => {
      try {
        const v = pick(s);
        if (v === undefined) return false;
        resolve(v);
      } catch (e) {
        reject(e);
      }
      return true;
    };
    if (check(useLab.getState())) return;
    const stop = useLab.subscribe((s) => {
      if (check(s)) stop();
    });
  });
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const api: LoraLabApi = {
  version: LAB_VERSION,
  ready: () =>
    when((s) => {
      if (s.gpu.state === 'error') throw new Error(`no GPU (${s.gpu.kind}): ${s.gpu.message}`);
      return s.gpu.state === 'ready' ? s.gpu.adapter : undefined;
    }),
  validate: (config) => validateConfig(config).errors,
  async train(raw, opts = {}) {
    const { config, errors } = validateConfig(raw);
    if (errors.length) throw new Error(`invalid config: ${errors.join('; ')}`);
    await api.ready();
    const lab = useLab.getState();
    if (isActive(lab.runs.find((r) => r.id === lab.currentId))) lab.reset();
    lab.setConfig(config);
    const before = new Set(useLab.getState().runs.map((r) => r.id));
    useLab.getState().train();
    const runId = useLab.getState().currentId;
    if (!runId || before.has(runId)) throw new Error('the page did not start a run');
    let reported = 0;
    const done = await when((s) => {
      const run = s.runs.find((r) => r.id === runId);
      if (!run) throw new Error(`run ${runId} was removed`);
      for (; reported < run.points.length; reported++) opts.onProgress?.({ ...run.points[reported], steps: run.config.steps });
      if (run.status.state === 'failed') throw new Error(`run failed: ${run.status.message ?? 'unknown error'}`);
      return !isActive(run) && run.hasWeights ? run : undefined;
    });
    return { runId, config: done.config, status: done.status, points: done.points };
  },
  async exportBundle(runId) {
    const d = await useLab.getState().exportRun(runId, 'bundle');
    if (!d) throw new Error(useLab.getState().notices.at(-1) ?? `export of run ${runId} failed`);
    return { name: d.name, base64: toBase64(d.bytes) };
  },
  async sweep(config, def, opts) {
    await api.ready();
    return runSweep(config, def, opts);
  },
  feedMetrics: (runId, points) => useLab.getState().receive({ type: 'metrics', runId, points }),
};

/** Install the API on window (once, at start-up). */
export function installAutomation(): void {
  window.loraLab = api;
}
