/**
 * Launcher for shaders/reduce.wgsl: sum of squares, non-finite count and sum of a flat f32 range, in one
 * two-dispatch chain, so the trainer gets the squared gradient norm and the finite flag together.
 */
import code from '../../../shaders/reduce.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createStorageBuffer } from '../buffers';
import { createUniformBuffer } from '../uniforms';
import { ceilDiv } from '../util';

/** Where each statistic lands in the output buffer (f32). The clip kernel reads sumsq at index 0. */
export const STATS = { sumsq: 0, nonfinite: 1, sum: 2 } as const;
/** Floats the output buffer must hold. */
export const STATS_LENGTH = 3;

const WG = 256;
/**
 * Cap on first-pass workgroups: enough to fill a large GPU (1024 x 256 threads), few enough that the
 * final single-workgroup pass reads at most 1024 partials.
 */
const MAX_GROUPS = 1024;

/**
 * out = [sum x^2, number of NaN/+-Inf entries (f32), sum x] over x (n), n >= 0 (n = 0 gives zeros).
 * Scratch for the partials is allocated once here. Both dispatches must run in this order, in one pass
 * or consecutive passes.
 */
export function reduceStats(device: GPUDevice, n: number, x: BufferRef, out: BufferRef): Dispatch[] {
  const groups = Math.min(ceilDiv(n, WG), MAX_GROUPS);
  const params = createUniformBuffer(device, `reduce.params(n=${n})`, [['u32', n], ['u32', groups]]);
  const partials = createStorageBuffer(device, `reduce.partials(${groups}x4)`, groups * 4 * 4);
  const p1 = getPipeline(device, 'reduce', code, { WG }, 'partials');
  const p2 = getPipeline(device, 'reduce', code, { WG }, 'finalize');
  return [
    {
      label: `reduce.partials(n=${n})`,
      pipeline: p1,
      bindGroup: makeBindGroup(device, 'reduce.partials', p1, [params, x, partials]),
      workgroups: [groups, 1, 1],
    },
    {
      label: `reduce.finalize(groups=${groups})`,
      pipeline: p2,
      bindGroup: makeBindGroup(device, 'reduce.finalize', p2, [params, partials, out]),
      workgroups: [1, 1, 1],
    },
  ];
}
