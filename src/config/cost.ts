/**
 * What the settings cost, for the cost panel, from the model's description. Counts follow PEFT's
 * shapes: per adapted (out, in) module, LoRA trains A (r, in) and B (out, r) = r (in + out) parameters; full fine-tuning (FFT) trains the n x n
 * weight itself. Everything is f32 (4 bytes). Optimizer state per trainable parameter: AdamW keeps
 * two moments; SGD keeps one momentum buffer, none with momentum 0 (as PyTorch, which then stores none).
 */
import type { RunConfig } from './schema';
import { paramCounts } from '../engine/model';
import { toyModel, type ToyModelConfig } from '../tasks/toyModel';

export type CostConfig = ToyModelConfig & Pick<RunConfig, 'r' | 'optimizer' | 'momentum'>;

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
}

/** Optimizer state floats kept per trainable parameter. */
export function stateFloatsPerParam(cfg: Pick<RunConfig, 'optimizer' | 'momentum'>): number {
  if (cfg.optimizer === 'adamw') return 2;
  return cfg.momentum > 0 ? 1 : 0;
}

export function costOf(cfg: CostConfig): Cost {
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
