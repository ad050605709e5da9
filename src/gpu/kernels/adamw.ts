/**
 * Launcher for shaders/adamw.wgsl: one fused AdamW step (torch.optim.AdamW semantics) over a flat
 * parameter buffer holding several parameter groups, gradient scaled by the GPU-computed clip coefficient.
 */
import code from '../../../shaders/adamw.wgsl?raw';
import type { BufferRef } from '../dispatch';
import { DEFAULT_TILING, type OptimizerTiling, type ParamGroupRange } from './paramGroups';
import { createOptimizer, type Optimizer, type OptimizerKernel } from './optimizer';

export type { GroupHyper, OptimizerTiling, ParamGroupRange } from './paramGroups';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
}

/** params, grads, m, v: (n) f32; clipCoef: (1) f32, 1.0 when clipping is off. m and v start at zero. */
export interface AdamWBuffers {
  params: BufferRef;
  grads: BufferRef;
  m: BufferRef;
  v: BufferRef;
  clipCoef: BufferRef;
}

/**
 * The dispatch is a no-op until the first setStep. setStep(t, hyper) writes the uniforms for the next
 * submit: t is the 1-based step number (bias corrections), hyper[k] the lr and weight decay of groups[k].
 */
export function createAdamW(
  device: GPUDevice,
  n: number,
  groups: ParamGroupRange[],
  bufs: AdamWBuffers,
  cfg: AdamWConfig,
  /** Tests force small tiles to reach the grid fold; the default suits every size. */
  tiling: OptimizerTiling = DEFAULT_TILING,
): Optimizer {
  // float64 on the host, as PyTorch's Python scalars: bias_correction1/2, step_size = lr / bc1.
  const kernel: OptimizerKernel = {
    name: 'adamw',
    code,
    elemBuffers: 4, // params, grads, m, v; clip stays f32
    header: (ngroups, t) => [['u32', n], ['u32', ngroups], ['f32', cfg.beta1], ['f32', cfg.beta2], ['f32', cfg.eps], ['f32', Math.sqrt(1 - cfg.beta2 ** t)]],
    perGroup: (t, h) => [1 - h.lr * h.weightDecay, h.lr / (1 - cfg.beta1 ** t)],
  };
  return createOptimizer(device, kernel, n, groups, [bufs.params, bufs.grads, bufs.m, bufs.v, bufs.clipCoef], tiling);
}
