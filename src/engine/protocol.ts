/**
 * Messages between the page and the engine worker: tagged unions of plain data (structured-clone safe).
 * UI -> store -> (these messages) -> engine -> GPU -> metrics -> (these messages) -> store -> charts.
 */
import type { AdapterSummary, GpuErrorKind } from '../gpu/device';
import type { RunConfig } from '../config/schema';
import type { InspectPoint } from './inspect';
import type { StepHyper, StepLog } from './types';

export type ToEngine =
  | { type: 'init' }
  /** Bytes the buffers of one run or sweep group may take in all; bigger ones are refused before allocation. */
  | { type: 'memory-budget'; bytes: number }
  /**
   * Build a new run (replacing the current one) and start it unless `paused`. `initTensors` replaces
   * the initial LoRA factors (an imported adapter: names 'A<i>', 'B<i>' for module layers.<i>).
   */
  | { type: 'start'; runId: string; config: RunConfig; paused?: boolean; initTensors?: TensorMap }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step' }
  | { type: 'stop' }
  /** Settings that apply from the next step without a reset (learning rate, schedule, clipping). */
  | { type: 'live'; config: RunConfig }
  /** The module (PEFT name) whose update the current run's next inspections draw as a heatmap. */
  | { type: 'inspect-module'; module: string }
  /** The eval loss of the task's held-out set without and with `tensors` (an imported adapter). */
  | { type: 'evaluate'; requestId: string; config: RunConfig; tensors: TensorMap }
  /**
   * A finished run's export file, built in the worker: the bundle zip (PEFT adapter or FFT weights, base
   * model, test cases from the GPU forward pass, script, README) or the merged weights. `created` (ms
   * since the epoch) dates the bundle's README and zip entries.
   */
  | { type: 'export'; requestId: string; kind: ExportKind; source: ExportSource; version: string; created: number; plainLora?: boolean }
  /** Train many runs (a sweep); runs sharing the base model train together on the GPU. */
  | { type: 'sweep'; sweepId: string; runs: SweepRunSpec[] }
  /** Stop a sweep: finished runs stay, unfinished ones are marked stopped. */
  | { type: 'cancel-sweep'; sweepId: string }
  /** Time a few training steps of `config` (a sweep's time estimate). */
  | { type: 'calibrate'; requestId: string; config: RunConfig }
  /** The user's own fine-tuning text (bytes), for language-model runs with lmData 'user'; null forgets it. */
  | { type: 'text'; bytes: Uint8Array | null }
  /**
   * Language-model text: `count` new tokens after `prompt` from the current run's weights as they are
   * now (`live`), from `tensors` (a finished run), or from the base model (neither).
   */
  | { type: 'sample'; requestId: string; config: RunConfig; live?: boolean; tensors?: TensorMap; prompt: number[]; count: number; temperature: number; topK?: number; seed: number };

/** One run of a sweep: its full config (every run posts metrics and status under its runId). */
export interface SweepRunSpec {
  runId: string;
  config: RunConfig;
}

export type ExportKind = 'bundle' | 'merged';

/** What an export needs of a finished run (a page run or a kept sweep's). */
export interface ExportSource {
  config: RunConfig;
  label: string;
  status: RunStatus;
  points: readonly MetricPoint[];
  tensors: TensorMap;
}

/** A file for the user to save. */
export interface Download {
  name: string;
  bytes: Uint8Array;
  type: string;
}

/** Trainable tensors by layout name: 'A<i>' (r, in), 'B<i>' (out, r), 'W<i>' (out, in) for layer i. */
export type TensorMap = Record<string, Float32Array>;

/** An adapter's eval loss on the task's held-out set, and the base model's, over `rows` rows. */
export interface Evaluation {
  baseLoss: number;
  adapterLoss: number;
  rows: number;
  /** Language model: [fine-tuning text, pretraining text] held-out losses (nats per byte). */
  baseLosses?: number[];
  adapterLosses?: number[];
}

/**
 * A logged step: what the GPU measured, and the hyperparameters the step ran with (points read back
 * from older files or CSVs may have only the learning rate).
 */
export interface MetricPoint extends StepLog, Partial<Omit<StepHyper, 'lr'>> {
  lr: number;
  stepsPerSec: number;
}

export type RunState = 'building' | 'running' | 'paused' | 'done' | 'diverged' | 'collapsed' | 'stopped' | 'failed';

export interface RunStatus {
  state: RunState;
  step: number;
  stepsPerSec: number;
  divergedStep?: number;
  finalLoss?: number;
  message?: string;
  /** Bytes of GPU buffers its trainer (its whole group, in a sweep) allocated, as the allocator counted them. */
  gpuBytes?: number;
}

export type FromEngine =
  | { type: 'ready'; adapter: AdapterSummary }
  | { type: 'error'; kind: GpuErrorKind | 'engine'; message: string }
  | { type: 'metrics'; runId: string; points: MetricPoint[] }
  | { type: 'status'; runId: string; status: RunStatus }
  /** A run's trained tensors, posted once when it ends (done, diverged, collapsed or stopped). */
  | { type: 'weights'; runId: string; tensors: TensorMap }
  /**
   * What is inside a run's adapter at a logged step (src/engine/inspect.ts): page runs at most every
   * few hundred ms and at their end, sweep runs once, at their end.
   */
  | { type: 'inspect'; runId: string; point: InspectPoint }
  | { type: 'evaluate-result'; requestId: string; evaluation: Evaluation }
  | { type: 'evaluate-error'; requestId: string; message: string }
  | { type: 'export-result'; requestId: string; download: Download }
  | { type: 'export-error'; requestId: string; message: string }
  /** adapterStepsPerSec counts one step of one run as one adapter-step. */
  | { type: 'sweep-progress'; sweepId: string; done: number; total: number; adapterStepsPerSec: number; etaSec: number }
  | { type: 'sweep-done'; sweepId: string; cancelled: boolean }
  | { type: 'calibrate-result'; requestId: string; stepsPerSec: number; message?: string }
  | { type: 'sample-result'; requestId: string; tokens: number[] }
  | { type: 'sample-error'; requestId: string; message: string };
