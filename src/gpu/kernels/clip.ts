/**
 * Launcher for shaders/clip.wgsl: global gradient-norm clipping as torch.nn.utils.clip_grad_norm_.
 * `clipCoef` turns the squared norm from `reduceStats` into a 1-float coefficient the optimizer applies;
 * `clipScale` materialises clipped gradients (tests, exports).
 */
import code from '../../../shaders/clip.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { uploadF32 } from '../buffers';
import { grid1d } from '../util';

const WG = 256;

export interface ClipCoefBuffers {
  /** The reduce output ([sumsq, nonfinite, sum]); only index 0 is read. */
  sumsq: BufferRef;
  /** (1) f32, written: min(maxNorm / (||g|| + 1e-6), 1), or 1 when clipping is off. */
  coef: BufferRef;
  /** Clip threshold of every run; <= 0 (or omitted) disables clipping. Change it later with setMaxNorm. */
  maxNorm?: number;
  /** R runs at once (a batched sweep): run r's sumsq and coef at index r * stride. Default 1 run. */
  runs?: number;
  stride?: number;
}

/**
 * One thread per run writing the clip coefficient. Each run's threshold lives in a small storage
 * buffer: setMaxNorm (one value for all runs, or one per run) rewrites it for the next submit.
 */
export function clipCoef(device: GPUDevice, bufs: ClipCoefBuffers): { dispatch: Dispatch; setMaxNorm(maxNorm: number | number[]): void } {
  const runs = bufs.runs ?? 1;
  // A non-finite maxNorm (Infinity: never clip) maps to 0, the disabled value, so no Inf reaches the shader.
  const norms = (v: number | number[]) => Float32Array.from({ length: runs }, (_, i) => {
    const x = typeof v === 'number' ? v : v[i];
    return Number.isFinite(x) ? x : 0;
  });
  const params = createUniformBuffer(device, 'clip.coef.params', [['u32', 1], ['u32', bufs.stride ?? 0]]);
  const maxNorms = uploadF32(device, `clip.coef.maxNorms(${runs})`, norms(bufs.maxNorm ?? 0));
  const pipeline = getPipeline(device, 'clip', code, { WG }, 'coef');
  return {
    dispatch: {
      label: 'clip.coef',
      pipeline,
      bindGroup: makeBindGroup(device, 'clip.coef', pipeline, [params, bufs.sumsq, bufs.coef, maxNorms]),
      workgroups: [runs, 1, 1],
    },
    setMaxNorm(maxNorm) {
      device.queue.writeBuffer(maxNorms, 0, norms(maxNorm));
    },
  };
}

/** grads (n) *= coef[0], in place. */
export function clipScale(device: GPUDevice, n: number, grads: BufferRef, coef: BufferRef): Dispatch {
  const params = createUniformBuffer(device, `clip.scale.params(n=${n})`, [['u32', n], ['u32', 0]]);
  const pipeline = getPipeline(device, 'clip', code, { WG }, 'scale');
  return {
    label: `clip.scale(n=${n})`,
    pipeline,
    bindGroup: makeBindGroup(device, 'clip.scale', pipeline, [params, coef, grads]),
    workgroups: grid1d(n, WG),
  };
}
