/** Launcher for shaders/broadcast_add.wgsl: dst[r * stride + i] += src[i] for R copies. */
import code from '../../../shaders/broadcast_add.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { ceilDiv, MAX_WORKGROUPS_PER_DIM } from '../util';

const WG = 256;

export function broadcastAdd(device: GPUDevice, n: number, copies: number, stride: number, src: BufferRef, dst: BufferRef): Dispatch {
  if (copies > MAX_WORKGROUPS_PER_DIM) throw new Error(`broadcastAdd: ${copies} copies exceed the grid`);
  const pipeline = getPipeline(device, 'broadcast_add', code, { WG });
  const params = createUniformBuffer(device, `broadcast_add.params(${copies}x${n})`, [['u32', n], ['u32', stride]]);
  return {
    label: `broadcast_add(${copies}x${n})`,
    pipeline,
    bindGroup: makeBindGroup(device, 'broadcast_add', pipeline, [params, src, dst]),
    workgroups: [ceilDiv(n, WG), copies, 1],
  };
}
