/** Launcher for shaders/activation.wgsl: GELU (tanh) / ReLU forward and backward. */
import code from '../../../shaders/activation.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { grid1d } from '../util';

export type Activation = 'gelu_tanh' | 'relu';
export const ACTIVATION_IDS: Record<Activation, number> = { gelu_tanh: 0, relu: 1 };
const WG = 256;

/** y = act(x) over n elements. */
export function activationForward(device: GPUDevice, act: Activation, n: number, x: GPUBuffer, y: GPUBuffer): Dispatch {
  const pipeline = getPipeline(device, 'activation', code, { ACT: ACTIVATION_IDS[act], WG }, 'forward');
  const params = createUniformBuffer(device, `activation.fwd.params(n=${n})`, [['u32', n]]);
  return {
    label: `${act}.forward(n=${n})`,
    pipeline,
    bindGroup: makeBindGroup(device, `${act}.forward`, pipeline, [x, y, params]),
    workgroups: grid1d(n, WG),
  };
}

/** dx = dy * act'(x) over n elements (x = the pre-activation). */
export function activationBackward(device: GPUDevice, act: Activation, n: number, x: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer): Dispatch {
  const pipeline = getPipeline(device, 'activation', code, { ACT: ACTIVATION_IDS[act], WG }, 'backward');
  const params = createUniformBuffer(device, `activation.bwd.params(n=${n})`, [['u32', n]]);
  return {
    label: `${act}.backward(n=${n})`,
    pipeline,
    bindGroup: makeBindGroup(device, `${act}.backward`, pipeline, [x, dx, params, dy]),
    workgroups: grid1d(n, WG),
  };
}
