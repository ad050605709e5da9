/**
 * Launcher for shaders/sgd.wgsl: one SGD-with-momentum step (torch.optim.SGD semantics, dampening 0, no
 * nesterov, coupled weight decay) over a flat parameter buffer with parameter groups, gradient scaled by
 * the GPU-computed clip coefficient.
 */
import code from '../../../shaders/sgd.wgsl?raw';
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
): { dispatch: Dispatch; setStep(t: number, hyper: GroupHyper[]): void } {
  validateGroups('sgd', n, groups);
  const { tiles, workgroups } = groupTiles(groups, tiling);
  const fields = (ngroups: number, t: number): UniformField[] => [['u32', n], ['u32', ngroups], ['f32', cfg.momentum], ['u32', t === 1 ? 1 : 0]];
  const params = createUniformBuffer(device, `sgd.params(n=${n})`, fields(0, 1));
  const table = createStorageBuffer(device, `sgd.groups(${groups.length})`, Math.max(1, groups.length) * 32);
  const pipeline = getPipeline(device, 'sgd', code, { WG: tiling.wg, ITEMS: tiling.items }, 'main');
  const dispatch: Dispatch = {
    label: `sgd(n=${n}, groups=${groups.length})`,
    pipeline,
    bindGroup: makeBindGroup(device, 'sgd', pipeline, [bufs.params, bufs.grads, bufs.momentum, bufs.clipCoef, params, table]),
    workgroups,
  };
  return {
    dispatch,
    setStep(t, hyper) {
      validateStep('sgd', t, groups, hyper);
      writeUniforms(device, params, fields(groups.length, t));
      device.queue.writeBuffer(table, 0, groupTable(groups, tiles, (k) => [hyper[k].lr, hyper[k].weightDecay]));
    },
  };
}
