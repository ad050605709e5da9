/**
 * Launcher for shaders/sgd.wgsl: one SGD-with-momentum step (torch.optim.SGD semantics, dampening 0, no
 * nesterov, coupled weight decay) over a flat parameter buffer with parameter groups, gradient scaled by
 * the GPU-computed clip coefficient.
 */
import code from '../../../shaders/sgd.wgsl?raw';
import type { BufferRef } from '../dispatch';
import { DEFAULT_TILING, type OptimizerTiling, type ParamGroupRange } from './paramGroups';
import { createOptimizer, type Optimizer, type OptimizerKernel } from './optimizer';

export type { GroupHyper, OptimizerTiling, ParamGroupRange } from './paramGroups';

export interface SgdConfig {
  /** mu; 0 gives plain SGD. */
  momentum: number;
}

/** params, grads, momentum: (n) f32; clipCoef: (1) f32, 1.0 when clipping is off. */
export interface SgdBuffers {
  params: BufferRef;
  grads: BufferRef;
  momentum: BufferRef;
  clipCoef: BufferRef;
}

/**
 * The dispatch is a no-op until the first setStep. setStep(t, hyper) writes the uniforms for the next
 * submit: t is the 1-based step number (t = 1 initialises the momentum buffer), hyper[k] is groups[k]'s.
 */
export function createSgd(
  device: GPUDevice,
  n: number,
  groups: ParamGroupRange[],
  bufs: SgdBuffers,
  cfg: SgdConfig,
  /** Tests force small tiles to reach the grid fold; the default suits every size. */
  tiling: OptimizerTiling = DEFAULT_TILING,
): Optimizer {
  const kernel: OptimizerKernel = {
    name: 'sgd',
    code,
    elemBuffers: 3, // params, grads, momentum; clip stays f32
    header: (ngroups, t) => [['u32', n], ['u32', ngroups], ['f32', cfg.momentum], ['u32', t === 1 ? 1 : 0]],
    perGroup: (_t, h) => [h.lr, h.weightDecay],
  };
  return createOptimizer(device, kernel, n, groups, [bufs.params, bufs.grads, bufs.momentum, bufs.clipCoef], tiling);
}
