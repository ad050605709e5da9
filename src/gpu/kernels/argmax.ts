/** Launcher for shaders/argmax.wgsl: row-wise argmax into u32 labels. */
import code from '../../../shaders/argmax.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { grid1d } from '../util';

const WG = 64;

export function argmaxRows(device: GPUDevice, rows: number, cols: number, x: BufferRef, labels: BufferRef): Dispatch {
  const pipeline = getPipeline(device, 'argmax', code, { WG });
  const params = createUniformBuffer(device, `argmax.params(${rows}x${cols})`, [['u32', rows], ['u32', cols]]);
  return {
    label: `argmax(${rows}x${cols})`,
    pipeline,
    bindGroup: makeBindGroup(device, 'argmax', pipeline, [x, labels, params]),
    workgroups: grid1d(rows, WG),
  };
}
