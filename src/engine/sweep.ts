/**
 * Sweeps in the worker: many runs, each posting its own metrics and status (as single runs do), plus
 * sweep progress. Runs that share the base model and everything but per-run hyperparameters form a
 * group; a group trains together as one batched job (src/engine/batched/), one submit per step for
 * all its runs. A diverged run is marked and the rest go on; cancel keeps the
 * finished runs.
 */
import type { RunConfig } from '../config/schema';
import { buildTask, type ToyTask } from '../tasks/toy';
import { finalLoss } from '../metrics/ema';
import { lrAt } from './schedule';
import { buildSetup, stepInputs } from './setup';
import { GpuTrainer } from './trainer';
import type { MetricPoint, RunStatus, TensorMap } from './protocol';
import { BatchedTrainer } from './batched/trainer';
import { buildBatchedSetup, groupRuns } from './batched/group';

/** Runs trained together at most (memory grows with it; 64 fills a large GPU on the default task). */
export const MAX_RUNS_PER_BATCH = 64;

export interface SweepSink {
  metrics(runId: string, points: MetricPoint[]): void;
  status(runId: string, status: RunStatus): void;
  weights(runId: string, tensors: TensorMap): void;
  progress(done: number, total: number, adapterStepsPerSec: number, etaSec: number): void;
}

export interface SweepRun {
  runId: string;
  config: RunConfig;
}

/** Fields that must agree for runs to share a task (base model, data, eval set). */
const TASK_KEYS = ['width', 'layers', 'dIn', 'dOut', 'trueRank', 'shift', 'activation', 'trainSize', 'evalSize', 'seed'] as const;

export function taskKey(c: RunConfig): string {
  return JSON.stringify(TASK_KEYS.map((k) => c[k]));
}

/** Label a finished run: collapsed when the final (smoothed) loss ends above the start. */
export function endState(losses: number[]): { state: 'done' | 'collapsed'; finalLoss: number } {
  const final = finalLoss(losses);
  return { state: Number.isFinite(final) && final > losses[0] ? 'collapsed' : 'done', finalLoss: final };
}

export class SweepRunner {
  private cancelled = false;
  private tasks = new Map<string, ToyTask>();
  private stepsDone = 0;
  private readonly totalSteps: number;
  private readonly began = performance.now();

  constructor(
    private device: GPUDevice,
    private runs: SweepRun[],
    private sink: SweepSink,
  ) {
    this.totalSteps = runs.reduce((a, r) => a + r.config.steps, 0);
  }

  cancel(): void {
    this.cancelled = true;
  }

  private task(c: RunConfig): ToyTask {
    const k = taskKey(c);
    let t = this.tasks.get(k);
    if (!t) this.tasks.set(k, (t = buildTask(c)));
    return t;
  }

  private reportProgress(done: number): void {
    const secs = (performance.now() - this.began) / 1000;
    const rate = secs > 0 ? this.stepsDone / secs : 0;
    this.sink.progress(done, this.runs.length, rate, rate > 0 ? (this.totalSteps - this.stepsDone) / rate : NaN);
  }

  /**
   * Returns true when every run finished, false when cancelled. `batched` (the default) trains each
   * group of compatible runs together; otherwise runs train one after another (the benchmark's peer).
   */
  async run(batched = true): Promise<boolean> {
    let done = 0;
    const pending = new Set(this.runs.map((r) => r.runId));
    const groups = batched ? groupRuns(this.runs, MAX_RUNS_PER_BATCH) : this.runs.map((r) => [r]);
    for (const g of groups) {
      if (this.cancelled) break;
      if (batched) await this.runBatch(g);
      else await this.runOne(g[0]);
      done += g.length;
      g.forEach((r) => pending.delete(r.runId));
      this.reportProgress(done);
    }
    for (const id of pending) this.sink.status(id, { state: 'stopped', step: 0, stepsPerSec: 0, message: 'sweep cancelled' });
    return !this.cancelled;
  }

  /** Train a group of compatible runs together (one submit per step for all of them). */
  private async runBatch(group: SweepRun[]): Promise<void> {
    const cfgs = group.map((r) => r.config);
    const cfg = cfgs[0];
    const task = this.task(cfg);
    let trainer: BatchedTrainer;
    try {
      const { shared, runs } = buildBatchedSetup(cfgs, task);
      trainer = new BatchedTrainer(this.device, shared, runs);
    } catch (e) {
      for (const r of group) this.sink.status(r.runId, { state: 'failed', step: 0, stepsPerSec: 0, message: e instanceof Error ? e.message : String(e) });
      return;
    }
    for (const r of group) this.sink.status(r.runId, { state: 'running', step: 0, stepsPerSec: 0 });
    const R = group.length;
    const losses: number[][] = group.map(() => []);
    let points: MetricPoint[][] = group.map(() => []);
    const ended: (RunStatus | null)[] = group.map(() => null);
    const t0 = performance.now();
    let lastPost = t0;
    const loraPlus = cfgs.map((c) => c.loraPlusRatio);
    try {
      for (let t = 1; t <= cfg.steps && !this.cancelled && ended.some((e) => !e); t++) {
        const log = t === 1 || t % cfg.logEvery === 0 || t === cfg.steps;
        const lrs = cfgs.map((c) => lrAt(t - 1, c.steps, c));
        const res = await trainer.step({ t, lrs, loraPlus, x: stepInputs(cfg, task, t) }, log);
        this.stepsDone += ended.filter((e) => !e).length;
        if (!res) {
          if (t % 8 === 0) await new Promise((r) => setTimeout(r, 0)); // let 'cancel' in
          continue;
        }
        // adapter-steps per second of this group, and per run
        const sps = (t * 1000) / (performance.now() - t0);
        res.forEach((log, i) => {
          if (ended[i]) return;
          losses[i].push(log.loss);
          points[i].push({ ...log, lr: lrs[i], stepsPerSec: sps });
          if (log.divergedStep > 0) {
            ended[i] = { state: 'diverged', step: t, stepsPerSec: sps, divergedStep: log.divergedStep };
            this.stepsDone += cfg.steps - t;
          }
        });
        if (performance.now() - lastPost > 250 || ended.some((e, i) => e && points[i].length)) {
          points.forEach((p, i) => p.length && this.sink.metrics(group[i].runId, p));
          points = group.map(() => []);
          lastPost = performance.now();
          this.reportProgress(0);
        }
      }
      points.forEach((p, i) => p.length && this.sink.metrics(group[i].runId, p));
      const sps = (cfg.steps * 1000) / (performance.now() - t0);
      const weights = await trainer.readRuns(cfgs.map((c) => c.r));
      for (let i = 0; i < R; i++) {
        const st = ended[i] ?? (this.cancelled ? { state: 'stopped' as const, step: losses[i].length, stepsPerSec: sps } : { ...endState(losses[i]), step: cfg.steps, stepsPerSec: sps });
        this.sink.status(group[i].runId, st);
        this.sink.weights(group[i].runId, weights[i]);
      }
    } finally {
      trainer.destroy();
    }
  }

  private async runOne({ runId, config: cfg }: SweepRun): Promise<void> {
    const task = this.task(cfg);
    let trainer: GpuTrainer;
    try {
      trainer = new GpuTrainer(this.device, buildSetup(cfg, task));
    } catch (e) {
      this.sink.status(runId, { state: 'failed', step: 0, stepsPerSec: 0, message: e instanceof Error ? e.message : String(e) });
      return;
    }
    this.sink.status(runId, { state: 'running', step: 0, stepsPerSec: 0 });
    const losses: number[] = [];
    let points: MetricPoint[] = [];
    const t0 = performance.now();
    let lastPost = t0;
    let status: RunStatus | null = null;
    try {
      for (let t = 1; t <= cfg.steps && !this.cancelled; t++) {
        const log = t === 1 || t % cfg.logEvery === 0 || t === cfg.steps;
        const input = { t, lr: lrAt(t - 1, cfg.steps, cfg), x: stepInputs(cfg, task, t) };
        const res = await trainer.step(input, log);
        this.stepsDone++;
        if (!res) {
          if (t % 8 === 0) await new Promise((r) => setTimeout(r, 0)); // let 'cancel' in
          continue;
        }
        const sps = (t * 1000) / (performance.now() - t0);
        losses.push(res.loss);
        points.push({ ...res, lr: input.lr, stepsPerSec: sps });
        if (res.divergedStep > 0) {
          status = { state: 'diverged', step: t, stepsPerSec: sps, divergedStep: res.divergedStep };
          this.stepsDone += cfg.steps - t; // the rest of this run is skipped
          break;
        }
        if (performance.now() - lastPost > 250) {
          this.sink.metrics(runId, points);
          points = [];
          lastPost = performance.now();
          this.reportProgress(0);
        }
      }
      if (points.length) this.sink.metrics(runId, points);
      const sps = (cfg.steps * 1000) / (performance.now() - t0);
      if (!status) status = this.cancelled ? { state: 'stopped', step: losses.length, stepsPerSec: sps } : { ...endState(losses), step: cfg.steps, stepsPerSec: sps };
      this.sink.status(runId, status);
      this.sink.weights(runId, await trainer.readAll());
    } finally {
      trainer.destroy();
    }
  }
}
