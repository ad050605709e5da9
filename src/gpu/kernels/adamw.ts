/**
 * Launcher for shaders/adamw.wgsl: one fused AdamW step (torch.optim.AdamW semantics) over a flat
 * parameter buffer holding several parameter groups, gradient scaled by the GPU-computed clip coefficient.
 */
import code from '../../../shaders/adamw.wgsl?raw';
import { getPipeline } from '../pipelines';
import { createStorageBuffer } from '../buffers';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer, writeUniforms, type UniformField } from '../uniforms';
import {
  DEFAULT_TILING,
  groupTable,
  groupTiles,
  validateGroups,
  validateStep,
  type GroupHyper,
  type OptimizerTiling,
  type ParamGroupRange,
} from './paramGroups';

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
): { dispatch: Dispatch; setStep(t: number, hyper: GroupHyper[]): void } {
  validateGroups('adamw', n, groups);
  const { tiles, workgroups } = groupTiles(groups, tiling);
  // float64 on the host, as PyTorch's Python scalars: bias_correction1/2, step_size = lr / bc1.
  const fields = (ngroups: number, t: number): UniformField[] => {
    const bc2 = 1 - cfg.beta2 ** t;
    return [['u32', n], ['u32', ngroups], ['f32', cfg.beta1], ['f32', cfg.beta2], ['f32', cfg.eps], ['f32', Math.sqrt(bc2)]];
  };
  const params = createUniformBuffer(device, `adamw.params(n=${n})`, fields(0, 1));
  const table = createStorageBuffer(device, `adamw.groups(${groups.length})`, Math.max(1, groups.length) * 32);
  const pipeline = getPipeline(device, 'adamw', code, { WG: tiling.wg, ITEMS: tiling.items }, 'main');
  const dispatch: Dispatch = {
    label: `adamw(n=${n}, groups=${groups.length})`,
    pipeline,
    bindGroup: makeBindGroup(device, 'adamw', pipeline, [bufs.params, bufs.grads, bufs.m, bufs.v, bufs.clipCoef, params, table]),
    workgroups,
  };
  return {
    dispatch,
    setStep(t, hyper) {
      validateStep('adamw', t, groups, hyper);
      writeUniforms(device, params, fields(groups.length, t));
      const bc1 = 1 - cfg.beta1 ** t;
      device.queue.writeBuffer(table, 0, groupTable(groups, tiles, (k) => [1 - hyper[k].lr * hyper[k].weightDecay, hyper[k].lr / bc1]));
    },
  };
}
