/**
 * Launcher for shaders/matmul_naive.wgsl: C = op(A) op(B), one thread per output. The benchmark's
 * baseline for the tiled kernel in matmul.ts; nothing in the engine uses it.
 */
import code from '../../../shaders/matmul_naive.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { ceilDiv, MAX_WORKGROUPS_PER_DIM } from '../util';
import type { MatmulShape } from './matmul';

const WG = 8;

// A baseline needs no grid folding: it refuses shapes beyond one dimension's 65535 workgroups.
function grid(M: number, N: number): [number, number, number] {
  const g: [number, number, number] = [ceilDiv(N, WG), ceilDiv(M, WG), 1];
  if (g[0] > MAX_WORKGROUPS_PER_DIM || g[1] > MAX_WORKGROUPS_PER_DIM) throw new Error(`matmulNaive: ${M}x${N} exceeds the grid`);
  return g;
}

export function matmulNaive(device: GPUDevice, shape: MatmulShape, a: BufferRef, b: BufferRef, c: BufferRef): Dispatch {
  const { M, N, K } = shape;
  const transA = shape.transA ?? false;
  const transB = shape.transB ?? false;
  const pipeline = getPipeline(device, 'matmul_naive', code, { TRANS_A: transA, TRANS_B: transB, WG });
  const label = `matmulNaive(${M}x${N}x${K}${transA ? ',tA' : ''}${transB ? ',tB' : ''})`;
  const params = createUniformBuffer(device, `${label}.params`, [
    ['u32', M],
    ['u32', N],
    ['u32', K],
  ]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(device, label, pipeline, [a, b, c, params]),
    workgroups: grid(M, N),
  };
}
