/**
 * Sweeps in the worker: many runs, each posting its own metrics and status (as single runs do), plus
 * sweep progress. Runs that share the base model and everything but per-run hyperparameters form a
 * group; a group trains together in one RunLoop (one Trainer, one submit per step for all its runs).
 * A diverged run is marked and the rest go on; cancel keeps the finished runs.
 */
import type { RunConfig } from '../config/schema';
import { loadTask, taskKey } from './loadTask';
import type { LoopTask } from './groupTrainer';
import type { RunStatus } from './protocol';
import { groupRuns } from './group';
import { bufferBytes } from '../gpu/buffers';
import { checkMemory, RunLoop, type LoopRun, type RunSink } from './runLoop';

/** Runs trained together at most (memory grows with it; 64 fills a large GPU on the default task). */
export const MAX_RUNS_PER_BATCH = 64;

export interface SweepSink extends RunSink {
  progress(done: number, total: number, adapterStepsPerSec: number, etaSec: number): void;
}

export type SweepRun = LoopRun;

export class SweepRunner {
  private cancelled = false;
  private current: RunLoop | null = null;
  private tasks = new Map<string, Promise<LoopTask>>();
  private stepsBefore = 0; // run-steps of the groups already trained
  private readonly totalSteps: number;
  private readonly began = performance.now();

  constructor(
    private device: GPUDevice,
    private runs: SweepRun[],
    private sink: SweepSink,
    /** Logged readbacks left in flight per group (RunLoop's maxInFlight). */
    private maxInFlight?: number,
    /** The user's own fine-tuning text (language-model runs with lmData 'user'). */
    private userText?: Uint8Array,
    /** Bytes one group's buffers may take in all (RunLoop's memoryBudget). */
    private memoryBudget?: number,
  ) {
    this.totalSteps = runs.reduce((a, r) => a + r.config.steps, 0);
  }

  cancel(): void {
    this.cancelled = true;
    this.current?.cancel();
  }

  private task(c: RunConfig): Promise<LoopTask> {
    const k = taskKey(c);
    let t = this.tasks.get(k);
    if (!t) this.tasks.set(k, (t = loadTask(c, this.userText)));
    return t;
  }

  private reportProgress(done: number, stepsDone: number): void {
    const secs = (performance.now() - this.began) / 1000;
    const rate = secs > 0 ? stepsDone / secs : 0;
    this.sink.progress(done, this.runs.length, rate, rate > 0 ? (this.totalSteps - stepsDone) / rate : NaN);
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
      await this.runGroup(g);
      done += g.length;
      g.forEach((r) => pending.delete(r.runId));
      this.stepsBefore += g.reduce((a, r) => a + r.config.steps, 0);
      this.reportProgress(done, this.stepsBefore);
    }
    for (const id of pending) this.sink.status(id, { state: 'stopped', step: 0, stepsPerSec: 0, message: 'sweep cancelled' });
    return !this.cancelled;
  }

  private async runGroup(group: SweepRun[]): Promise<void> {
    let loop: RunLoop;
    const before = bufferBytes(this.device).created;
    try {
      // each run's final inspection (its spectrum, for the sweep's views), not the live ones
      checkMemory(this.device, group.map((r) => r.config), this.memoryBudget); // before building the task
      loop = new RunLoop(this.device, group, await this.task(group[0].config), this.sink, {}, this.maxInFlight, 'end', this.memoryBudget);
    } catch (e) {
      // gpuBytes: what the build had allocated when it failed (0 when refused beforehand)
      const failed: RunStatus = { state: 'failed', step: 0, stepsPerSec: 0, message: e instanceof Error ? e.message : String(e), gpuBytes: bufferBytes(this.device).created - before };
      for (const r of group) this.sink.status(r.runId, failed);
      return;
    }
    this.current = loop;
    let last = performance.now();
    loop.onProgress = (runSteps) => {
      if (performance.now() - last < 250) return;
      last = performance.now();
      this.reportProgress(0, this.stepsBefore + runSteps);
    };
    try {
      if (this.cancelled) loop.cancel();
      await loop.runToEnd();
      await loop.postWeights();
    } finally {
      this.current = null;
      loop.destroy();
    }
  }
}
