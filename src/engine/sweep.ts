/**
 * Sweeps in the worker: many runs, each posting its own metrics and status (as single runs do), plus
 * sweep progress. Runs that share the base model and everything but per-run hyperparameters form a
 * group; a group trains together as one batched job when the batched trainer supports it, otherwise
 * its runs train one after another. A diverged run is marked and the rest go on; cancel keeps the
 * finished runs.
 */
import type { RunConfig } from '../config/schema';
import { buildTask, type ToyTask } from '../tasks/toy';
import { finalLoss } from '../metrics/ema';
import { lrAt } from './schedule';
import { buildSetup, stepInputs } from './setup';
import { GpuTrainer } from './trainer';
import type { MetricPoint, RunStatus, TensorMap } from './protocol';

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

  /** Returns true when every run finished, false when cancelled. */
  async run(): Promise<boolean> {
    let done = 0;
    for (const r of this.runs) {
      if (this.cancelled) break;
      await this.runOne(r);
      done++;
      this.reportProgress(done);
    }
    if (this.cancelled) for (const r of this.runs.slice(done)) this.sink.status(r.runId, { state: 'stopped', step: 0, stepsPerSec: 0, message: 'sweep cancelled' });
    return !this.cancelled;
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
