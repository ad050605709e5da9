/**
 * What the optimizer launchers (adamw.ts, sgd.ts) share: one dispatch over a flat buffer of parameter
 * groups, a uniform header and a storage table of per-group constants, both rewritten by setStep.
 */
import { getElemPipeline } from '../pipelines';
import { createStorageBuffer } from '../buffers';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer, writeUniforms, type UniformField } from '../uniforms';
import { groupTable, groupTiles, validateGroups, validateStep, type GroupHyper, type OptimizerTiling, type ParamGroupRange } from './paramGroups';

export interface Optimizer {
  dispatch: Dispatch;
  /** f32 elements per shader array entry: 4 (the vec4f variant) or 1. */
  lanes: 1 | 4;
  /** Write the uniforms for the next submit: t is the 1-based step, hyper[k] is groups[k]'s lr and wd. */
  setStep(t: number, hyper: GroupHyper[]): void;
}

export interface OptimizerKernel {
  name: string;
  code: string;
  /** The shader's uniform header for step t (ngroups = 0 before the first step: a no-op dispatch). */
  header(ngroups: number, t: number): UniformField[];
  /** The two per-group constants the shader reads for step t. */
  perGroup(t: number, h: GroupHyper): [number, number];
  /** How many of the bound buffers (the first ones) are Elem arrays (the rest, e.g. clip, stay f32). */
  elemBuffers: number;
}

/**
 * 4 when every Elem array can be read as vec4f: n, every group boundary and ITEMS multiples of 4, and
 * every explicitly sized binding a multiple of 16 bytes; else 1.
 */
export function optimizerLanes(n: number, groups: ParamGroupRange[], tiling: OptimizerTiling, buffers: BufferRef[]): 1 | 4 {
  const by4 = (x: number) => x % 4 === 0;
  const sized = buffers.every((b) => !('buffer' in b) || b.size === undefined || b.size % 16 === 0);
  return by4(n) && by4(tiling.items) && groups.every((g) => by4(g.start) && by4(g.end)) && sized ? 4 : 1;
}

/** `buffers` bind first (in the shader's order), then the uniform header and the group table. */
export function createOptimizer(device: GPUDevice, kernel: OptimizerKernel, n: number, groups: ParamGroupRange[], buffers: BufferRef[], tiling: OptimizerTiling): Optimizer {
  validateGroups(kernel.name, n, groups);
  const { tiles, workgroups } = groupTiles(groups, tiling);
  const params = createUniformBuffer(device, `${kernel.name}.params(n=${n})`, kernel.header(0, 1));
  const table = createStorageBuffer(device, `${kernel.name}.groups(${groups.length})`, Math.max(1, groups.length) * 32);
  const lanes = optimizerLanes(n, groups, tiling, buffers.slice(0, kernel.elemBuffers));
  const pipeline = getElemPipeline(device, kernel.name, kernel.code, lanes, { WG: tiling.wg, ITEMS: tiling.items, LANES: lanes });
  return {
    lanes,
    dispatch: {
      label: `${kernel.name}(n=${n}, groups=${groups.length})`,
      pipeline,
      bindGroup: makeBindGroup(device, kernel.name, pipeline, [...buffers, params, table]),
      workgroups,
    },
    setStep(t, hyper) {
      validateStep(kernel.name, t, groups, hyper);
      writeUniforms(device, params, kernel.header(groups.length, t));
      device.queue.writeBuffer(table, 0, groupTable(groups, tiles, (k) => kernel.perGroup(t, hyper[k])));
    },
  };
}
