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
 * Elements per thread at least, before the tree: each workgroup's barrier tree costs about 1 ms on
 * SwiftShader, so a 32K-parameter gradient in 8 workgroups instead of 128 is much faster there, and on
 * a real GPU 256 x 16 elements per workgroup still spreads a million parameters over 256 workgroups.
 */
const ITEMS_MIN = 16;
/** Threads per workgroup of the segmented pass (one run's few thousand parameters each). */
const WG_SEGMENTS = 64;
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
  const groups = Math.min(ceilDiv(n, WG * ITEMS_MIN), MAX_GROUPS);
  const params = createUniformBuffer(device, `reduce.params(n=${n})`, [['u32', n], ['u32', groups], ['u32', 0], ['u32', 0]]);
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

/**
 * R segments at once (a batched sweep's runs): out[r * outStride + (0, 1, 2)] = [sum x^2, non-finite
 * count, sum x] over x[r * segStride .. + n). One dispatch, one workgroup per segment, no second pass.
 */
export function reduceStatsSegments(device: GPUDevice, segments: number, n: number, segStride: number, x: BufferRef, out: BufferRef, outStride: number): Dispatch {
  const params = createUniformBuffer(device, `reduce.segments.params(${segments}x${n})`, [['u32', n], ['u32', segments], ['u32', segStride], ['u32', outStride]]);
  const p = getPipeline(device, 'reduce', code, { WG: WG_SEGMENTS }, 'segments');
  return {
    label: `reduce.segments(${segments}x${n})`,
    pipeline: p,
    bindGroup: makeBindGroup(device, 'reduce.segments', p, [params, x, out]),
    workgroups: [segments, 1, 1],
  };
}
