/** Launcher for shaders/rmsnorm.wgsl: RMSNorm forward and backward (frozen weight) over rows. */
import code from '../../../shaders/rmsnorm.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { grid1d } from '../util';

/** Rows per workgroup (one thread per row). */
const WG = 64;

function check(rows: number, dim: number): void {
  if (!(Number.isInteger(rows) && rows >= 1 && Number.isInteger(dim) && dim >= 1)) throw new Error(`rmsnorm: rows ${rows} and dim ${dim} must be integers >= 1`);
}

/** y (rows, dim) = w * x * r per row. */
export function rmsNormForward(device: GPUDevice, rows: number, dim: number, eps: number, x: BufferRef, w: BufferRef, y: BufferRef): Dispatch {
  check(rows, dim);
  const pipeline = getPipeline(device, 'rmsnorm', code, { WG }, 'forward');
  const params = createUniformBuffer(device, `rmsnorm.fwd.params(${rows}x${dim})`, [['u32', rows], ['u32', dim], ['f32', eps]]);
  return { label: `rmsnorm.forward(${rows}x${dim})`, pipeline, bindGroup: makeBindGroup(device, 'rmsnorm.forward', pipeline, [params, x, w, y]), workgroups: grid1d(rows, WG) };
}

/** dx (rows, dim) from the layer input x and the output gradient dy. */
export function rmsNormBackward(device: GPUDevice, rows: number, dim: number, eps: number, x: BufferRef, w: BufferRef, dy: BufferRef, dx: BufferRef): Dispatch {
  check(rows, dim);
  const pipeline = getPipeline(device, 'rmsnorm', code, { WG }, 'backward');
  const params = createUniformBuffer(device, `rmsnorm.bwd.params(${rows}x${dim})`, [['u32', rows], ['u32', dim], ['f32', eps]]);
  return { label: `rmsnorm.backward(${rows}x${dim})`, pipeline, bindGroup: makeBindGroup(device, 'rmsnorm.backward', pipeline, [params, x, w, dx, dy]), workgroups: grid1d(rows, WG) };
}
