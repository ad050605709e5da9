/** Builds a TrainSetup from fixtures/golden/train_step.json (MLP 6->8->8->3, GELU, MSE, AdamW, clip 1). */
import type { TrainSetup } from '../engine/types';
import type { LayerMode } from '../engine/layout';
import { goldenTrainStep } from './golden';

export type GoldenMode = 'lora' | 'fft';
export const goldenCase = (mode: GoldenMode) => goldenTrainStep[mode];
/** Trainable tensor names in the golden's order ('A0,A1,...' in the file). */
export const goldenTrainable = (mode: GoldenMode): string[] => String(goldenTrainStep[mode].trainable).split(',');

export function goldenSetup(mode: GoldenMode): TrainSetup {
  const g = goldenCase(mode);
  const L = g.dims.length - 1;
  const f32 = (a: number[]) => Float32Array.from(a);
  return {
    spec: {
      sizes: g.dims,
      bias: true,
      activation: 'gelu_tanh',
      modes: Array<LayerMode>(L).fill(mode === 'lora' ? 'lora' : 'full'),
      r: g.r,
      scaling: g.scaling,
      loss: 'mse',
    },
    base: { W: g.init.W.map(f32), b: g.init.b.map(f32) },
    teacher: null,
    loraA: g.init.A.map(f32),
    loraB: g.init.B.map(f32),
    batch: g.N,
    accum: 1,
    optim: { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, momentum: 0 },
    dropout: 0,
    seed: 0,
    lossScale: 1,
    evalX: null,
    evalRows: 0,
    divergeBound: 1e6,
  };
}

export const GOLDEN_LR = 0.05;
/** The golden step's hyperparameters (torch.optim.AdamW lr 0.05, weight_decay 0.01; clip_grad_norm_ 1). */
export const GOLDEN_HYPER = { lr: GOLDEN_LR, weightDecay: 0.01, loraPlusRatio: 1, clip: 1.0 };
export const GOLDEN_STEPS = 3;
