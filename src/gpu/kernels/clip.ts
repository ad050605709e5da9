/**
 * Launcher for shaders/clip.wgsl: global gradient-norm clipping as torch.nn.utils.clip_grad_norm_.
 * `clipCoef` turns the squared norm from `reduceStats` into a 1-float coefficient the optimizer applies;
 * `clipScale` materialises clipped gradients (tests, exports).
 */
import code from '../../../shaders/clip.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer, writeUniforms, type UniformField } from '../uniforms';
import { grid1d } from '../util';

const WG = 256;

export interface ClipCoefBuffers {
  /** The reduce output ([sumsq, nonfinite, sum]); only index 0 is read. */
  sumsq: BufferRef;
  /** (1) f32, written: min(maxNorm / (||g|| + 1e-6), 1), or 1 when clipping is off. */
  coef: BufferRef;
  /** Clip threshold; <= 0 (or omitted) disables clipping. Change it later with setMaxNorm. */
  maxNorm?: number;
  /** R runs at once (a batched sweep): run r's sumsq and coef at index r * stride. Default 1 run. */
  runs?: number;
  stride?: number;
}

/** One-thread dispatch writing the clip coefficient; setMaxNorm rewrites its uniform for the next submit. */
export function clipCoef(device: GPUDevice, bufs: ClipCoefBuffers): { dispatch: Dispatch; setMaxNorm(maxNorm: number): void } {
  // A non-finite maxNorm (Infinity: never clip) maps to 0, the disabled value, so no Inf reaches the shader.
  const fields = (maxNorm: number): UniformField[] => [['u32', 1], ['f32', Number.isFinite(maxNorm) ? maxNorm : 0], ['u32', bufs.stride ?? 0]];
  const params = createUniformBuffer(device, 'clip.coef.params', fields(bufs.maxNorm ?? 0));
  const pipeline = getPipeline(device, 'clip', code, { WG }, 'coef');
  return {
    dispatch: {
      label: 'clip.coef',
      pipeline,
      bindGroup: makeBindGroup(device, 'clip.coef', pipeline, [params, bufs.sumsq, bufs.coef]),
      workgroups: [bufs.runs ?? 1, 1, 1],
    },
    setMaxNorm(maxNorm) {
      writeUniforms(device, params, fields(maxNorm));
    },
  };
}

/** grads (n) *= coef[0], in place. */
export function clipScale(device: GPUDevice, n: number, grads: BufferRef, coef: BufferRef): Dispatch {
  const params = createUniformBuffer(device, `clip.scale.params(n=${n})`, [['u32', n], ['f32', 0]]);
  const pipeline = getPipeline(device, 'clip', code, { WG }, 'scale');
  return {
    label: `clip.scale(n=${n})`,
    pipeline,
    bindGroup: makeBindGroup(device, 'clip.scale', pipeline, [params, coef, grads]),
    workgroups: grid1d(n, WG),
  };
}
