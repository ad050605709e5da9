/**
 * The data of a sweep, shared by the grid builder, the analysis, import/export, the store and
 * IndexedDB. Plain, structured-clone-safe data only.
 */
import type { InitScheme, RunConfig } from '../config/schema';
import type { MetricPoint, RunStatus } from '../engine/protocol';
import type { InspectPoint } from '../engine/inspect';

export type Scaling = RunConfig['scaling'];
export type Optimizer = RunConfig['optimizer'];

/**
 * What to sweep. Every list that is empty is not swept: its value comes from the current settings.
 * Learning rates are a log2 grid: 2^from, 2^(from + step), ... up to 2^to (inclusive).
 */
export interface SweepDef {
  ranks: number[];
  lr: { from: number; to: number; step: number };
  /** alpha_eff = lora_alpha / r held fixed across ranks ('alphaEff'), or lora_alpha itself ('loraAlpha'). */
  alpha: { kind: 'alphaEff' | 'loraAlpha'; values: number[] } | null;
  inits: InitScheme[];
  scalings: Scaling[];
  /** Toy task: each item is one set of adapted layers (PEFT target_modules). */
  targets: number[][];
  /** Language model: each item is one set of adapted projections, as cells of RunConfig.lmTargets. */
  lmTargets: number[][];
  seeds: number[];
  optimizers: Optimizer[];
  /** LoRA+ ratio lr(B) / lr(A): with alpha, it shows the alpha-vs-learning-rate equivalence exactly. */
  loraPlusRatios: number[];
  /** Add full fine-tuning over the same learning rates (the reference curve). */
  includeFft: boolean;
}

/** Where a run sits in the grid: the values of every axis (swept or not), for grouping and tables. */
export interface RunAxes {
  fft: boolean;
  /** LoRA rank (the config's r; meaningless for FFT runs, which keep the settings' r). */
  rank: number;
  log2lr: number;
  /** The alpha axis value (alpha_eff or lora_alpha, per def.alpha.kind), or null when alpha is not swept. */
  alpha: number | null;
  init: InitScheme;
  scaling: Scaling;
  targets: string;
  /** The language model's target set by name (src/tasks/lmTargets.ts: 'q+v', 'all', ...). */
  lmTargets: string;
  seed: number;
  optimizer: Optimizer;
  loraPlusRatio: number;
}

export interface GridRun {
  config: RunConfig;
  axes: RunAxes;
}

/** A run of a sweep as the store keeps it: null status = not started yet (pending). */
export interface SweepRunRecord extends GridRun {
  runId: string;
  status: RunStatus | null;
  points: MetricPoint[];
  /** Its trained tensors are kept in IndexedDB (store/persist.ts), so it can be exported. */
  hasWeights?: boolean;
  /**
   * What was inside its adapter at its last step, without the heatmap (the sweep's spectrum views);
   * kept in IndexedDB with the sweep, not in its JSON or CSV files.
   */
  inspect?: InspectPoint;
  /**
   * The run's results without its logged points: a run imported from a sweep CSV (src/sweep/csvImport.ts),
   * whose file holds only the summary. summarizeRun reads it when there are no points.
   */
  summary?: { finalLoss: number; bestLoss: number; evalLoss: number; pretrainEvalLoss: number };
}

export type SweepState = 'running' | 'done' | 'cancelled' | 'interrupted' | 'imported';

export interface SweepRecord {
  id: string;
  name: string;
  createdAt: number;
  def: SweepDef;
  /** The settings the grid was built from (everything that is not an axis). */
  base: RunConfig;
  presetId?: string;
  state: SweepState;
  runs: SweepRunRecord[];
}

/** A run ended with a result (the rest are pending, stopped or failed, and can be run again). */
export function isFinished(r: Pick<SweepRunRecord, 'status'>): boolean {
  const s = r.status?.state;
  return s === 'done' || s === 'diverged' || s === 'collapsed';
}
