/** Launcher for shaders/rope.wgsl: rotary position embedding in place (forward), or its inverse (backward). */
import code from '../../../shaders/rope.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { grid1d } from '../util';

const WG = 256;

export interface RopeShape {
  rows: number;
  heads: number;
  headDim: number;
  /** Positions per sequence: row i is at position i % context (the table's rows). */
  context: number;
}

/** x rotated in place; cos and sin are the tables of ref/rope.ts ropeTable (context x d/2 each). */
export function ropeInPlace(device: GPUDevice, s: RopeShape, x: BufferRef, cos: BufferRef, sin: BufferRef, direction: 'forward' | 'backward'): Dispatch {
  if (!(s.headDim >= 2 && s.headDim % 2 === 0)) throw new Error(`rope: head dimension ${s.headDim} must be even`);
  const pairs = s.rows * s.heads * (s.headDim / 2);
  const pipeline = getPipeline(device, 'rope', code, { WG, SIGN: direction === 'forward' ? 1 : -1 });
  const params = createUniformBuffer(device, `rope.params(${s.rows}x${s.heads}x${s.headDim})`, [['u32', s.rows], ['u32', s.heads], ['u32', s.headDim / 2], ['u32', s.context]]);
  return {
    label: `rope.${direction}(${s.rows}x${s.heads}x${s.headDim})`,
    pipeline,
    bindGroup: makeBindGroup(device, 'rope', pipeline, [params, x, cos, sin]),
    workgroups: grid1d(pairs, WG),
  };
}
