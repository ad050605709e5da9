/**
 * What a trainer (GPU or CPU reference) is built from and what one step takes and reports. Plain data:
 * the task module produces it, the worker passes it on, tests build it by hand from golden cases.
 */
import type { MlpSpec } from './layout';

export interface OptimSettings {
  kind: 'adamw' | 'sgd';
  beta1: number;
  beta2: number;
  eps: number;
  momentum: number;
}

export interface Weights {
  /** W[i]: (sizes[i+1], sizes[i]) row-major. */
  W: Float32Array[];
  /** b[i]: (sizes[i+1]), or null when the model has no biases. */
  b: Float32Array[] | null;
}

export interface TrainSetup {
  spec: MlpSpec;
  base: Weights;
  /** Targets come from this frozen teacher's forward pass on each batch; null: explicit targets per step. */
  teacher: Weights | null;
  /** Initial LoRA factors per layer (null for layers without LoRA): A (r, in), B (out, r). */
  loraA: (Float32Array | null)[];
  loraB: (Float32Array | null)[];
  batch: number;
  accum: number;
  optim: OptimSettings;
  /** LoRA dropout probability (0 = none). */
  dropout: number;
  seed: number;
  /** MSE is multiplied by this (the toy task's 1 / sigma^2, so the starting loss is about 1). */
  lossScale: number;
  /** Held-out set (evalRows, sizes[0]); its targets come from the teacher. */
  evalX: Float32Array | null;
  evalRows: number;
  /** Loss above this counts as diverged. */
  divergeBound: number;
}

/**
 * A run's hyperparameters for one step: the per-run table the trainer writes before every submit, so
 * a live change (learning rate, weight decay, LoRA+ ratio, clipping) applies from the next step.
 */
export interface StepHyper {
  lr: number;
  weightDecay: number;
  /** LoRA+: learning rate of B / learning rate of A. */
  loraPlusRatio: number;
  /** Global gradient-norm clip; 0 = off. */
  clip: number;
}

export interface StepInput {
  /** 1-based step number. */
  t: number;
  /** One per run (a single run: one). */
  hypers: StepHyper[];
  /** accum micro-batches, each (batch, sizes[0]). */
  x: Float32Array[];
  /** Explicit targets per micro-batch (when setup.teacher is null): (batch, dOut) for MSE, labels for CE. */
  targets?: (Float32Array | Uint32Array)[];
}

export interface StepLog {
  step: number;
  /** Mean training loss over the micro-batches, before this step's update. */
  loss: number;
  /** Classification only: training accuracy on the batch. */
  accuracy?: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Eval loss after this step's update (only at logging steps). */
  evalLoss?: number;
  evalAccuracy?: number;
  /** Models with several eval sets (the language model: its fine-tuning text, then its pretraining text): each set's loss; evalLoss is the first. */
  evalLosses?: number[];
  /** First diverged step (1-based), 0 when none. */
  divergedStep: number;
}
