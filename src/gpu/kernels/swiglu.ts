/** Launcher for shaders/swiglu.wgsl: the Llama MLP's gate silu(g) * u, forward and backward. */
import code from '../../../shaders/swiglu.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { grid1d } from '../util';

const WG = 256;

/** m = silu(g) * u over n elements. */
export function swigluForward(device: GPUDevice, n: number, g: BufferRef, u: BufferRef, m: BufferRef): Dispatch {
  const pipeline = getPipeline(device, 'swiglu', code, { WG }, 'forward');
  const params = createUniformBuffer(device, `swiglu.fwd.params(${n})`, [['u32', n]]);
  return { label: `swiglu.forward(${n})`, pipeline, bindGroup: makeBindGroup(device, 'swiglu.forward', pipeline, [params, g, u, m]), workgroups: grid1d(n, WG) };
}

/** dg and du from dm (the gradient of m). */
export function swigluBackward(device: GPUDevice, n: number, g: BufferRef, u: BufferRef, dm: BufferRef, dg: BufferRef, du: BufferRef): Dispatch {
  const pipeline = getPipeline(device, 'swiglu', code, { WG }, 'backward');
  const params = createUniformBuffer(device, `swiglu.bwd.params(${n})`, [['u32', n]]);
  return { label: `swiglu.backward(${n})`, pipeline, bindGroup: makeBindGroup(device, 'swiglu.backward', pipeline, [params, g, u, dg, du, dm]), workgroups: grid1d(n, WG) };
}
