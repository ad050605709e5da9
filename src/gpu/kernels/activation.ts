/** Launcher for shaders/activation.wgsl: GELU (tanh) / ReLU forward and backward. */
import code from '../../../shaders/activation.wgsl?raw';
import { getElemPipeline } from '../pipelines';
import { makeBindGroup, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { grid1d } from '../util';

export type Activation = 'gelu_tanh' | 'relu';
export const ACTIVATION_IDS: Record<Activation, number> = { gelu_tanh: 0, relu: 1 };
const WG = 256;

/**
 * The pipeline for n elements: the vec4f variant (4 elements a thread) when n is a multiple of 4, which
 * ran the elementwise passes of a batched sweep step ~2x faster on SwiftShader; else one element a thread.
 */
function variant(device: GPUDevice, act: Activation, n: number, entry: 'forward' | 'backward') {
  const lanes = n % 4 === 0 ? 4 : 1;
  const pipeline = getElemPipeline(device, 'activation', code, lanes, { ACT: ACTIVATION_IDS[act], WG }, entry);
  return { pipeline, entries: n / lanes, lanes };
}

/** y = act(x) over n elements. */
export function activationForward(device: GPUDevice, act: Activation, n: number, x: GPUBuffer, y: GPUBuffer): Dispatch {
  const { pipeline, entries, lanes } = variant(device, act, n, 'forward');
  const params = createUniformBuffer(device, `activation.fwd.params(n=${n})`, [['u32', entries]]);
  return {
    label: `${act}.forward(n=${n}${lanes === 4 ? ', vec4' : ''})`,
    pipeline,
    bindGroup: makeBindGroup(device, `${act}.forward`, pipeline, [x, y, params]),
    workgroups: grid1d(entries, WG),
  };
}

/** dx = dy * act'(x) over n elements (x = the pre-activation). */
export function activationBackward(device: GPUDevice, act: Activation, n: number, x: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer): Dispatch {
  const { pipeline, entries, lanes } = variant(device, act, n, 'backward');
  const params = createUniformBuffer(device, `activation.bwd.params(n=${n})`, [['u32', entries]]);
  return {
    label: `${act}.backward(n=${n}${lanes === 4 ? ', vec4' : ''})`,
    pipeline,
    bindGroup: makeBindGroup(device, `${act}.backward`, pipeline, [x, dx, params, dy]),
    workgroups: grid1d(entries, WG),
  };
}
