/**
 * One live run in the worker: config -> task -> trainer, then the step loop with play / pause /
 * single step, live changes (learning rate, schedule, clipping) applied from the next step, and
 * metrics posted in batches (at most ~10 messages a second). No DOM, no React.
 */
import type { RunConfig } from '../config/schema';
import { buildTask, type ToyTask } from '../tasks/toy';
import { lrAt } from './schedule';
import { buildSetup, stepInputs } from './setup';
import { GpuTrainer } from './trainer';
import type { MetricPoint, RunStatus, TensorMap } from './protocol';
import { finalLoss } from '../metrics/ema';

export interface SessionSink {
  metrics(runId: string, points: MetricPoint[]): void;
  status(runId: string, status: RunStatus): void;
  /** The run's trained tensors, once, when it ends. */
  weights(runId: string, tensors: TensorMap): void;
}

const POST_INTERVAL_MS = 100;

export class RunSession {
  private trainer: GpuTrainer;
  private task: ToyTask;
  private t = 0; // steps done
  private running = false;
  private loop: Promise<void> | null = null;
  private pending: MetricPoint[] = [];
  private lastPost = 0;
  private losses: number[] = [];
  private runTime = 0; // ms spent stepping (excludes pauses)
  private ended = false;
  private weightsPosted = false;

  constructor(
    device: GPUDevice,
    readonly runId: string,
    private cfg: RunConfig,
    private sink: SessionSink,
    initTensors: TensorMap = {},
  ) {
    this.task = buildTask(cfg);
    this.trainer = new GpuTrainer(device, buildSetup(cfg, this.task, initTensors));
  }

  get step(): number {
    return this.t;
  }

  /** Live settings (lr, schedule, clip, ...) from the next step; the caller decided no reset is needed. */
  updateLive(cfg: RunConfig): void {
    if (cfg.clip !== this.cfg.clip) this.trainer.setClip(cfg.clip);
    this.cfg = cfg;
    if (this.t >= this.cfg.steps && !this.ended) this.finish();
  }

  play(): void {
    if (this.running || this.ended) return;
    this.running = true;
    this.loop = this.run();
  }

  async pause(): Promise<void> {
    this.running = false;
    await this.loop;
    this.flush(true);
    if (!this.ended) this.sink.status(this.runId, { state: 'paused', step: this.t, stepsPerSec: this.stepsPerSec() });
  }

  async singleStep(): Promise<void> {
    if (this.running || this.ended) return;
    await this.advance(true);
    this.flush(true);
    if (!this.ended) this.sink.status(this.runId, { state: 'paused', step: this.t, stepsPerSec: this.stepsPerSec() });
  }

  private stepsPerSec(): number {
    return this.runTime > 0 ? (this.t * 1000) / this.runTime : 0;
  }

  private async run(): Promise<void> {
    this.sink.status(this.runId, { state: 'running', step: this.t, stepsPerSec: this.stepsPerSec() });
    while (this.running && !this.ended && this.t < this.cfg.steps) await this.advance(false);
    this.running = false;
  }

  /** One optimizer step; logs (a GPU sync) at t = 1, every logEvery steps and at the end. */
  private async advance(forceLog: boolean): Promise<void> {
    const t = this.t + 1;
    const cfg = this.cfg;
    const log = forceLog || t === 1 || t % cfg.logEvery === 0 || t >= cfg.steps;
    const began = performance.now();
    const input = { t, lr: lrAt(t - 1, cfg.steps, cfg), x: stepInputs(cfg, this.task, t) };
    const res = await this.trainer.step(input, log);
    this.t = t;
    this.runTime += performance.now() - began;
    if (!log) {
      // Let messages (pause, live changes) in between unlogged steps: a macrotask boundary.
      if (t % 4 === 0) await new Promise((r) => setTimeout(r, 0));
      return;
    }
    if (!res) return;
    this.losses.push(res.loss);
    this.pending.push({ ...res, lr: input.lr, stepsPerSec: this.stepsPerSec() });
    if (res.divergedStep > 0) {
      this.end({ state: 'diverged', step: t, stepsPerSec: this.stepsPerSec(), divergedStep: res.divergedStep });
      return;
    }
    this.flush(false);
    if (t >= cfg.steps) this.finish();
  }

  private finish(): void {
    const final = finalLoss(this.losses);
    const start = this.losses[0];
    // TOY_TASK.md: a run whose final loss is above its starting loss collapsed (dead units, outputs ~ 0).
    const collapsed = Number.isFinite(final) && final > start;
    this.end({ state: collapsed ? 'collapsed' : 'done', step: this.t, stepsPerSec: this.stepsPerSec(), finalLoss: final });
  }

  private end(status: RunStatus): void {
    this.ended = true;
    this.running = false;
    this.flush(true);
    this.sink.status(this.runId, status);
    void this.postWeights();
  }

  /** Send the trained tensors to the page (exports need them after the GPU buffers are gone). */
  async postWeights(): Promise<void> {
    if (this.weightsPosted) return;
    this.weightsPosted = true;
    this.sink.weights(this.runId, await this.trainer.readAll());
  }

  private flush(force: boolean): void {
    const now = performance.now();
    if (!this.pending.length || (!force && now - this.lastPost < POST_INTERVAL_MS)) return;
    this.sink.metrics(this.runId, this.pending);
    this.pending = [];
    this.lastPost = now;
  }

  destroy(): void {
    this.running = false;
    this.trainer.destroy();
  }

  /** Read back trained tensors (export). */
  readTensor(name: string): Promise<Float32Array> {
    return this.trainer.readTensor(name);
  }
}
