/**
 * What the settings cost, for the cost panel, from the model's description. Counts follow PEFT's
 * shapes: per adapted (out, in) module, LoRA trains A (r, in) and B (out, r) = r (in + out) parameters; full fine-tuning (FFT) trains the n x n
 * weight itself. Everything is f32 (4 bytes). Optimizer state per trainable parameter: AdamW keeps
 * two moments; SGD keeps one momentum buffer, none with momentum 0 (as PyTorch, which then stores none).
 */
import type { RunConfig } from './schema';
import { paramCounts } from '../engine/model';
import { toyModel, type ToyModelConfig } from '../tasks/toyModel';
import { BASE_SHAPE, llamaParamCount, llamaStepFlops } from '../tasks/llamaBase';
import { llamaLinearsFromCells } from '../tasks/llamaModel';

export type CostConfig = ToyModelConfig & Pick<RunConfig, 'r' | 'optimizer' | 'momentum'> & Partial<Pick<RunConfig, 'task' | 'lmTargets' | 'batch' | 'accum' | 'seqLen'>>;

const F32 = 4;

export interface Cost {
  /** Parameters trained in this mode. */
  trainableParams: number;
  /** Frozen parameters of the adapted modules (their whole weights). */
  adaptedParams: number;
  /** trainableParams / adaptedParams x 100 (100 for FFT). */
  percentOfAdapted: number;
  /** Bytes of the trainable weights (the adapter file's tensors for LoRA; the full layers for FFT). */
  adapterBytes: number;
  optimizerStateBytes: number;
  /** The whole frozen base model: W_in, W_1..W_L, W_out. */
  baseParams: number;
  /** The same numbers for full fine-tuning of the same layers, for comparison. */
  fft: { trainableParams: number; bytes: number; optimizerStateBytes: number };
  /** Language model: arithmetic of one optimizer step (all micro-batches), and tokens per step. */
  lm?: { flopsPerStep: number; fftFlopsPerStep: number; tokensPerStep: number };
}

/** Optimizer state floats kept per trainable parameter. */
export function stateFloatsPerParam(cfg: Pick<RunConfig, 'optimizer' | 'momentum'>): number {
  if (cfg.optimizer === 'adamw') return 2;
  return cfg.momentum > 0 ? 1 : 0;
}

export function costOf(cfg: CostConfig): Cost {
  if (cfg.task === 'lm') return lmCostOf(cfg);
  const counts = paramCounts(toyModel(cfg), cfg.r);
  const state = stateFloatsPerParam(cfg);
  const fftParams = counts.full;
  const trainable = cfg.mode === 'fft' ? fftParams : counts.lora;
  return {
    trainableParams: trainable,
    adaptedParams: fftParams,
    percentOfAdapted: fftParams === 0 ? 0 : (100 * trainable) / fftParams,
    adapterBytes: trainable * F32,
    optimizerStateBytes: trainable * state * F32,
    baseParams: counts.base,
    fft: { trainableParams: fftParams, bytes: fftParams * F32, optimizerStateBytes: fftParams * state * F32 },
  };
}

/** The language model's: its projections (lm_head and embeddings frozen), the whole base, FLOPs per step. */
function lmCostOf(cfg: CostConfig): Cost {
  const mode = cfg.mode === 'fft' ? 'full' : 'lora';
  const modules = llamaLinearsFromCells(BASE_SHAPE, cfg.lmTargets ?? [], mode);
  const counts = paramCounts({ modules, bias: false, activation: 'relu', loss: 'ce' }, cfg.r);
  const state = stateFloatsPerParam(cfg);
  const trainable = cfg.mode === 'fft' ? counts.full : counts.lora;
  const seq = cfg.seqLen ?? 64;
  const tokens = (cfg.batch ?? 1) * (cfg.accum ?? 1) * seq;
  const fftModules = modules.map((m) => (m.mode === 'frozen' ? m : { ...m, mode: 'full' as const }));
  return {
    trainableParams: trainable,
    adaptedParams: counts.full,
    percentOfAdapted: counts.full === 0 ? 0 : (100 * trainable) / counts.full,
    adapterBytes: trainable * F32,
    optimizerStateBytes: trainable * state * F32,
    baseParams: llamaParamCount(BASE_SHAPE),
    fft: { trainableParams: counts.full, bytes: counts.full * F32, optimizerStateBytes: counts.full * state * F32 },
    lm: { flopsPerStep: llamaStepFlops(BASE_SHAPE, modules, cfg.r, tokens, seq), fftFlopsPerStep: llamaStepFlops(BASE_SHAPE, fftModules, cfg.r, tokens, seq), tokensPerStep: tokens },
  };
}
