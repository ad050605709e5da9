/**
 * Messages between the page and the engine worker: tagged unions of plain data (structured-clone safe).
 * UI -> store -> (these messages) -> engine -> GPU -> metrics -> (these messages) -> store -> charts.
 */
import type { AdapterSummary, GpuErrorKind } from '../gpu/device';
import type { RunConfig } from '../config/schema';
import type { StepLog } from './types';

export type ToEngine =
  | { type: 'init' }
  /** Build a new run (replacing the current one) and start it unless `paused`. */
  | { type: 'start'; runId: string; config: RunConfig; paused?: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step' }
  | { type: 'stop' }
  /** Settings that apply from the next step without a reset (learning rate, schedule, clipping). */
  | { type: 'live'; config: RunConfig };

export interface MetricPoint extends StepLog {
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
}

export type FromEngine =
  | { type: 'ready'; adapter: AdapterSummary }
  | { type: 'error'; kind: GpuErrorKind | 'engine'; message: string }
  | { type: 'metrics'; runId: string; points: MetricPoint[] }
  | { type: 'status'; runId: string; status: RunStatus };
