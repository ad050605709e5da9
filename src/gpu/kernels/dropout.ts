/** Launcher for shaders/dropout.wgsl: inverted dropout on the LoRA path, mask regenerated from a key. */
import code from '../../../shaders/dropout.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer, writeUniforms, type UniformField } from '../uniforms';
import { grid1d } from '../util';
import { dropThreshold } from '../../ref/dropout';

const WG = 256;

export interface DropoutDispatch {
  dispatch: Dispatch;
  /** Set the mask key for the next submit (a new key per step, micro-step and layer). */
  setKey(key: number): void;
}

function make(device: GPUDevice, entry: 'forward' | 'backward_acc', n: number, p: number, src: BufferRef, dst: BufferRef, period = n): DropoutDispatch {
  const pipeline = getPipeline(device, 'dropout', code, { WG }, entry);
  const fields = (key: number): UniformField[] => [['u32', n], ['u32', key], ['u32', dropThreshold(p)], ['f32', 1 / (1 - p)], ['u32', Math.max(1, period)]];
  const params = createUniformBuffer(device, `dropout.${entry}.params`, fields(0));
  return {
    dispatch: { label: `dropout.${entry}(n=${n})`, pipeline, bindGroup: makeBindGroup(device, `dropout.${entry}`, pipeline, [src, dst, params]), workgroups: grid1d(n, WG) },
    setKey: (key) => writeUniforms(device, params, fields(key)),
  };
}

/** y = x * keep / (1 - p); the mask repeats every `period` elements (default n). */
export const dropoutForward = (device: GPUDevice, n: number, p: number, x: BufferRef, y: BufferRef, period?: number) => make(device, 'forward', n, p, x, y, period);
/** dx += dy * keep / (1 - p), with the same key (and period) as the forward. */
export const dropoutBackwardAcc = (device: GPUDevice, n: number, p: number, dy: BufferRef, dx: BufferRef, period?: number) => make(device, 'backward_acc', n, p, dy, dx, period);
