/**
 * RunConfig + the toy task -> TrainSetup (what a trainer is built from).
 * The model is the toy task's description (src/tasks/toyModel.ts).
 * LoRA factors are drawn from Rng.stream(seed, 'lora/<l>'), so runs that differ only in hyperparameters
 * share their initial draws (common random numbers).
 */
import { scalingFactor, type RunConfig } from '../config/schema';
import type { ToyTask } from '../tasks/toy';
import { initLora } from '../tasks/init';
import { Rng } from '../rng';
import type { MlpSpec } from './layout';
import { chainSpec } from './model';
import { toyModel } from '../tasks/toyModel';
import type { StepHyper, TrainSetup } from './types';
import { lrAt } from './schedule';

/** A loss this far above the normalised start (about 1) is divergence, not training. */
export const DIVERGE_BOUND = 1e4;

/** The engine's view of the toy model (its description: src/tasks/toyModel.ts). */
export function modelSpec(cfg: RunConfig): MlpSpec {
  return chainSpec(toyModel(cfg), cfg.r, scalingFactor(cfg));
}

/**
 * `tensors` (optional) replaces initial values: 'A<i>'/'B<i>' the LoRA factors of layer i, 'W<i>' a fully
 * trained layer's weight (an imported adapter, or trained weights for a forward pass).
 */
export function buildSetup(cfg: RunConfig, task: ToyTask, tensors: Record<string, Float32Array> = {}): TrainSetup {
  const spec = modelSpec(cfg);
  const base: { W: Float32Array[]; b: null } = { W: [task.Win, ...task.Ws, task.Wout], b: null };
  const teacher = { W: [task.teacher.Win, ...task.teacher.Ws, task.teacher.Wout], b: null };
  const loraA: (Float32Array | null)[] = [];
  const loraB: (Float32Array | null)[] = [];
  spec.modes.forEach((m, i) => {
    if (m !== 'lora') {
      loraA.push(null);
      loraB.push(null);
      return;
    }
    const f = initLora(cfg.init, cfg.r, spec.sizes[i], spec.sizes[i + 1], Rng.stream(cfg.seed, `lora/${i}`));
    loraA.push(checked(tensors[`A${i}`], f.A.length, `A${i}`) ?? f.A);
    loraB.push(checked(tensors[`B${i}`], f.B.length, `B${i}`) ?? f.B);
  });
  base.W = base.W.map((W, i) => (spec.modes[i] === 'full' ? (checked(tensors[`W${i}`], W.length, `W${i}`) ?? W) : W));
  return {
    spec,
    base,
    teacher,
    loraA,
    loraB,
    batch: cfg.batch,
    accum: cfg.accum,
    optim: {
      kind: cfg.optimizer,
      beta1: cfg.beta1,
      beta2: cfg.beta2,
      eps: cfg.eps,
      momentum: cfg.momentum,
    },
    dropout: cfg.mode === 'lora' ? cfg.lora_dropout : 0,
    seed: cfg.seed,
    lossScale: cfg.loss === 'mse' ? 1 / task.sigma2 : 1,
    evalX: task.evalX,
    evalRows: task.evalX.length / cfg.dIn,
    divergeBound: DIVERGE_BOUND,
  };
}

function checked(t: Float32Array | undefined, size: number, name: string): Float32Array | undefined {
  if (t && t.length !== size) throw new Error(`tensor ${name} has ${t.length} values, the model needs ${size}`);
  return t;
}

/** The micro-batch inputs of optimizer step t (1-based): micro-batches (t-1)*accum .. t*accum-1. */
export function stepInputs(cfg: RunConfig, task: ToyTask, t: number): Float32Array[] {
  return Array.from({ length: cfg.accum }, (_, k) => task.inputsAt((t - 1) * cfg.accum + k, cfg.batch));
}

/** A run's per-step hyperparameters at optimizer step t (1-based), from its current (live) config. */
export function hyperAt(cfg: RunConfig, t: number): StepHyper {
  return { lr: lrAt(t - 1, cfg.steps, cfg), weightDecay: cfg.weightDecay, loraPlusRatio: cfg.loraPlusRatio, clip: cfg.clip };
}
