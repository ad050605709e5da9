/**
 * The one run loop, for the training page (a group of one run) and for sweeps (a group of R runs):
 * config -> one trainer for the group (groupTrainer.ts: the toy MLP's or the language model's), then stepping with play / pause / single step / cancel, live
 * changes applied from the next step (the per-run hyperparameter table is rebuilt from each run's
 * current config every step), metrics posted at most every POST_INTERVAL_MS, yields so messages get in,
 * and each run's end state (done / diverged / collapsed / stopped / failed) with the final-loss rule.
 * When inspecting, every run's tensors are read back at some logged steps and what is inside each adapter
 * (src/engine/inspectRun.ts) is posted as an InspectPoint. No DOM, no React.
 */
import type { RunConfig } from '../config/schema';
import { finalLoss } from '../metrics/ema';
import { hyperAt } from './setup';
import { buildGroupTrainer, type GroupTrainer, type LoopTask } from './groupTrainer';
import { countingBytes } from '../gpu/buffers';
import { DEFAULT_MEMORY_BUDGET, limitsProblem } from '../config/memory';
import type { InspectPoint } from './inspect';
import { inspectedModules, inspectRun, type InspectedModule } from './inspectRun';
import type { MetricPoint, RunStatus, TensorMap } from './protocol';
import type { StepHyper, StepLog } from './types';

export interface RunSink {
  metrics(runId: string, points: MetricPoint[]): void;
  status(runId: string, status: RunStatus): void;
  /** The run's trained tensors, once, when it ends. */
  weights(runId: string, tensors: TensorMap): void;
  /** What is inside the run's adapter at a logged step (when the loop inspects: InspectMode). */
  inspect?(runId: string, point: InspectPoint): void;
}

/**
 * When the loop reads the runs' tensors back to inspect them: 'live' at logged steps, at most every
 * INSPECT_GAP_MS and always at a run's last step (the training page); 'end' at each run's last step
 * only (sweeps keep each run's final point); 'off'.
 */
export type InspectMode = 'live' | 'end' | 'off';

/**
 * Live inspections start at least this far apart, and at least INSPECT_COST_FACTOR times the last
 * one's cost (readback + compute), so that inspecting takes at most about a fifth of the loop's time
 * even where it is slow (a language model trained in full: ~1 s per inspection).
 */
export const INSPECT_GAP_MS = 250;
const INSPECT_COST_FACTOR = 4;

export interface LoopRun {
  runId: string;
  config: RunConfig;
}

/** Metrics go to the page at most this often (plus at every end and pause). */
export const POST_INTERVAL_MS = 100;
/**
 * Logged readbacks left in flight on an adapter: none on a software (fallback) adapter, where the "GPU"
 * runs on the host's own cores and overlapping gained nothing (the bench measured 0.92-0.94x, awaiting
 * each readback was faster); otherwise the default (all staging slots but one).
 */
export function inFlightFor(adapter: { isFallbackAdapter: boolean }): number | undefined {
  return adapter.isFallbackAdapter ? 0 : undefined;
}

/** Unlogged steps between two yields to the event loop (pause, live changes and cancel get in). */
const YIELD_EVERY = 4;

/** A finished run's label: collapsed when the final (smoothed) loss ends above the start (TOY_TASK.md). */
export function endState(losses: number[]): { state: 'done' | 'collapsed'; finalLoss: number } {
  const final = finalLoss(losses);
  return { state: Number.isFinite(final) && final > losses[0] ? 'collapsed' : 'done', finalLoss: final };
}

interface InFlight {
  t: number;
  hypers: StepHyper[];
  logs: Promise<StepLog[]>;
  inspect?: PendingInspect;
}

/** Every run's tensors read back right behind a logged step (so they are that step's), for the runs due. */
interface PendingInspect {
  due: boolean[];
  tensors: Promise<TensorMap[]>;
  /** performance.now() when the readback was queued, when the step's logs and the tensors arrived. */
  issued: number;
  logsAt: number;
  arrived: number;
}

/**
 * Throws, naming the number and the settings to lower, when a group's buffers would not fit the device's
 * limits or the memory budget: called before anything is allocated (and before the task is loaded),
 * since a buffer over the limits is a validation error and one over the budget an out-of-memory in the
 * middle of building.
 */
export function checkMemory(device: GPUDevice, cfgs: RunConfig[], memoryBudget = DEFAULT_MEMORY_BUDGET): void {
  const problem = limitsProblem(cfgs, { maxBufferSize: device.limits.maxBufferSize, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize, budget: memoryBudget });
  if (problem) throw new Error(problem);
}

export class RunLoop {
  private trainer: GroupTrainer;
  private cfgs: RunConfig[];
  private t = 0; // steps done
  private running = false;
  private cancelled = false;
  private loop: Promise<void> | null = null;
  private pending: MetricPoint[][];
  private losses: number[][];
  private ended: (RunStatus | null)[];
  private inFlight: InFlight[] = [];
  private lastPost = 0;
  private runTime = 0; // ms spent stepping (excludes pauses)
  private weightsPosted: Promise<void> | null = null;
  private lastInspect = -Infinity;
  private inspectGap = INSPECT_GAP_MS;
  /** Per run: the tensors at its last inspection (for the factors' steps) and its inspected modules. */
  private inspected: (TensorMap | null)[];
  private inspectMods: (InspectedModule[] | null)[];
  /** The module whose heatmap live inspections carry (default: the first adapted one). */
  private heatModule: string | undefined;
  /** Bytes of the GPU buffers the group's trainer allocated (counted by the allocator). */
  readonly gpuBytes: number;
  /** Called after every logged step with the run-steps done so far (an ended run counts all its steps). */
  onProgress: (runSteps: number) => void = () => {};

  /** Throws when the group cannot be built (the caller marks its runs failed). */
  constructor(
    device: GPUDevice,
    readonly runs: LoopRun[],
    private readonly task: LoopTask,
    private sink: RunSink,
    initTensors: TensorMap = {},
    /** Logged steps left in flight while the loop goes on (default: all staging slots but one; 0 = await each). */
    private maxInFlight?: number,
    private inspectMode: InspectMode = 'off',
    /** Bytes the group's buffers may take in all (src/config/memory.ts). */
    memoryBudget = DEFAULT_MEMORY_BUDGET,
  ) {
    this.cfgs = runs.map((r) => r.config);
    checkMemory(device, this.cfgs, memoryBudget);
    const built = countingBytes(device, () => buildGroupTrainer(device, this.cfgs, task, initTensors));
    this.trainer = built.value;
    this.gpuBytes = built.bytes;
    const status = sink.status.bind(sink);
    this.sink = { ...sink, status: (runId, s) => status(runId, { ...s, gpuBytes: this.gpuBytes }) };
    this.pending = runs.map(() => []);
    this.losses = runs.map(() => []);
    this.ended = runs.map(() => null);
    this.inspected = runs.map(() => null);
    this.inspectMods = runs.map(() => null);
  }

  get step(): number {
    return this.t;
  }

  get done(): boolean {
    return this.ended.every((e) => e);
  }

  /** The module whose update live inspections draw as a heatmap (its PEFT name), from the next one. */
  inspectModule(name: string): void {
    this.heatModule = name;
  }

  /** Live settings of run `runId` from the next step; the caller decided no reset is needed. */
  updateLive(runId: string, cfg: RunConfig): void {
    const i = this.runs.findIndex((r) => r.runId === runId);
    if (i < 0) return;
    this.cfgs[i] = cfg;
    if (this.t >= cfg.steps && !this.ended[i] && this.t > 0) this.finish(i);
  }

  play(): void {
    if (this.running || this.done) return;
    this.running = true;
    // a step or readback that fails (a lost device rejects every pending mapAsync) ends the unfinished
    // runs as failed with the reason, instead of leaving a rejected promise nobody handles
    this.loop = this.run().catch((e) => this.failAll(e));
  }

  private failAll(e: unknown): void {
    this.running = false;
    this.inFlight = [];
    const message = e instanceof Error ? e.message : String(e);
    this.runs.forEach((_, i) => this.ended[i] || this.end(i, { state: 'failed', step: this.t, stepsPerSec: this.stepsPerSec(), message }));
  }

  /** Run to the end (a sweep group): resolves when every run ended or the loop was cancelled. */
  async runToEnd(): Promise<void> {
    this.play();
    await this.loop;
    await this.drain();
    if (this.cancelled) this.stopAll('sweep cancelled');
  }

  async pause(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.drain();
    this.flush(true);
    this.statusAll('paused');
  }

  /** Stop stepping; unfinished runs end as stopped (with their weights). */
  cancel(): void {
    this.cancelled = true;
    this.running = false;
  }

  async stop(message?: string): Promise<void> {
    await this.pause();
    this.stopAll(message);
  }

  async singleStep(): Promise<void> {
    if (this.running || this.done) return;
    await this.advance(true);
    this.flush(true);
    this.statusAll('paused');
  }

  private statusAll(state: 'paused' | 'running'): void {
    this.runs.forEach((r, i) => this.ended[i] || this.sink.status(r.runId, { state, step: this.t, stepsPerSec: this.stepsPerSec() }));
  }

  private stopAll(message?: string): void {
    this.runs.forEach((_, i) => this.ended[i] || this.end(i, { state: 'stopped', step: this.t, stepsPerSec: this.stepsPerSec(), message }));
  }

  private stepsPerSec(): number {
    return this.runTime > 0 ? (this.t * 1000) / this.runTime : 0;
  }

  private async run(): Promise<void> {
    this.statusAll('running');
    while (this.running && !this.done) await this.advance(false);
    this.running = false;
  }

  /**
   * One optimizer step of every run; logs (a GPU readback) at t = 1, every logEvery steps and at each
   * run's end. A logged step's results are awaited only when more than `inFlight - 1` logged steps are
   * pending, at a run's last step, or when forced (pause, single step): until then the loop submits the
   * next steps while the readback is in flight, so the GPU does not wait for the host.
   */
  private async advance(forceLog: boolean): Promise<void> {
    const t = this.t + 1;
    const cfgs = this.cfgs;
    const live = cfgs.map((c, i) => !this.ended[i] && t <= c.steps);
    const last = cfgs.some((c, i) => live[i] && t >= c.steps);
    const log = forceLog || t === 1 || last || cfgs.some((c, i) => live[i] && t % c.logEvery === 0);
    const began = performance.now();
    const hypers = cfgs.map((c) => hyperAt(c, t));
    const sub = await this.trainer.submit(t, hypers, log);
    this.t = t;
    if (sub) {
      // a rejection (a lost device) is handled where take() awaits it, or dropped with the runs by failAll
      sub.logs.catch(() => {});
      this.inFlight.push({ t, hypers, logs: sub.logs, inspect: this.readForInspection(t, live, sub.logs) });
    }
    const keep = forceLog || last ? 0 : Math.min(this.maxInFlight ?? Infinity, this.trainer.inFlightLimit - 1);
    while (this.inFlight.length > keep) await this.take(this.inFlight.shift()!);
    this.runTime += performance.now() - began;
    if (!sub && t % YIELD_EVERY === 0) await new Promise((r) => setTimeout(r, 0));
  }

  /**
   * After logged step t was submitted: when a run is due for inspection, queue the readback of every
   * run's tensors right behind the step (so they are step t's even while later steps are submitted),
   * without waiting for it; take() awaits it with the step's logs.
   */
  private readForInspection(t: number, live: boolean[], logs: Promise<StepLog[]>): PendingInspect | undefined {
    if (this.inspectMode === 'off' || !this.sink.inspect) return undefined;
    const now = performance.now();
    const gapDone = this.inspectMode === 'live' && now - this.lastInspect >= this.inspectGap;
    const due = this.cfgs.map((c, i) => live[i] && (t >= c.steps || gapDone));
    if (!due.some(Boolean)) return undefined;
    this.lastInspect = now;
    const p: PendingInspect = { due, issued: now, logsAt: now, arrived: now, tensors: Promise.resolve([]) };
    logs.then(() => (p.logsAt = performance.now()), () => {});
    p.tensors = this.trainer.readRuns(this.cfgs.map((c) => c.r)).then((all) => {
      p.arrived = performance.now();
      return all;
    });
    p.tensors.catch(() => {}); // awaited by inspectAt, or dropped when the runs fail
    return p;
  }

  /**
   * Post the inspection of a logged step for each run due that has not ended or diverged. Its
   * readbackMs is the time the tensors took beyond the step's own logs (their copy is queued behind
   * the step's). A failing inspection turns inspecting off for this loop rather than stopping training.
   */
  private async inspectAt(entry: InFlight, logs: StepLog[]): Promise<void> {
    const p = entry.inspect!;
    try {
      const all = await p.tensors;
      const readbackMs = Math.max(0, p.arrived - Math.max(p.issued, p.logsAt));
      let cost = readbackMs;
      this.runs.forEach((run, i) => {
        if (!p.due[i] || this.ended[i] || entry.t > this.cfgs[i].steps || logs[i].divergedStep > 0) return;
        const modules = (this.inspectMods[i] ??= inspectedModules(this.cfgs[i], this.task));
        const heat = this.inspectMode === 'live' ? this.heatModule : false;
        const point = inspectRun(this.cfgs[i], this.task, all[i], { step: entry.t, prev: this.inspected[i], heat, readbackMs, modules });
        cost += point.computeMs;
        // only live inspections have a next one to measure the factors' steps against
        if (this.inspectMode === 'live') this.inspected[i] = all[i];
        this.sink.inspect!(run.runId, point);
      });
      this.inspectGap = Math.max(INSPECT_GAP_MS, INSPECT_COST_FACTOR * cost);
    } catch {
      this.inspectMode = 'off';
    }
  }

  /** Handle a logged step's results (in step order): inspection, points, divergence, the end of a run. */
  private async take(entry: InFlight): Promise<void> {
    const res = await entry.logs;
    if (entry.inspect) await this.inspectAt(entry, res);
    const sps = this.stepsPerSec();
    res.forEach((r, i) => {
      if (this.ended[i] || entry.t > this.cfgs[i].steps) return;
      this.losses[i].push(r.loss);
      this.pending[i].push({ ...r, ...entry.hypers[i], stepsPerSec: sps });
      if (r.divergedStep > 0) this.end(i, { state: 'diverged', step: entry.t, stepsPerSec: sps, divergedStep: r.divergedStep });
      else if (entry.t >= this.cfgs[i].steps) this.finish(i);
    });
    this.onProgress(this.cfgs.reduce((a, c, i) => a + (this.ended[i] ? c.steps : Math.min(entry.t, c.steps)), 0));
    this.flush(false);
  }

  /** Wait for every logged step still in flight (before a pause, a stop or reading the weights). */
  private async drain(): Promise<void> {
    while (this.inFlight.length) await this.take(this.inFlight.shift()!);
  }

  private finish(i: number): void {
    this.end(i, { ...endState(this.losses[i]), step: this.t, stepsPerSec: this.stepsPerSec() });
  }

  private end(i: number, status: RunStatus): void {
    this.ended[i] = status;
    this.flush(true);
    this.sink.status(this.runs[i].runId, status);
    if (this.done) {
      this.running = false;
      // a failed readback here means the device is gone: the worker reports that loss itself
      this.postWeights().catch(() => {});
    }
  }

  /**
   * Send every run's trained tensors to the page, once (exports need them after the GPU buffers are
   * gone); it starts by itself when the last run ends. Await it before destroy().
   */
  postWeights(): Promise<void> {
    this.weightsPosted ??= this.drain().then(() => this.trainer.readRuns(this.cfgs.map((c) => c.r)).then((all) => this.runs.forEach((r, i) => this.sink.weights(r.runId, all[i]))));
    return this.weightsPosted;
  }

  /** Every run's trained tensors as they are after the steps submitted so far (live samples). */
  currentWeights(): Promise<TensorMap[]> {
    return this.trainer.readRuns(this.cfgs.map((c) => c.r));
  }

  private flush(force: boolean): void {
    const now = performance.now();
    if (!this.pending.some((p) => p.length) || (!force && now - this.lastPost < POST_INTERVAL_MS)) return;
    this.pending.forEach((p, i) => p.length && this.sink.metrics(this.runs[i].runId, p));
    this.pending = this.runs.map(() => []);
    this.lastPost = now;
  }

  destroy(): void {
    this.running = false;
    this.trainer.destroy();
  }
}
