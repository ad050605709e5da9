/**
 * Launcher for shaders/mse.wgsl: mean squared error, loss reduced on the GPU into out[0] and the
 * gradient with respect to pred written in the same dispatch chain.
 */
import code from '../../../shaders/mse.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createStorageBuffer } from '../buffers';
import { createUniformBuffer, writeUniforms, type UniformField } from '../uniforms';
import { ceilDiv } from '../util';

const WG = 256;
/** Cap on first-pass workgroups (see shaders/mse.wgsl): the final pass reads at most this many partials. */
const MAX_GROUPS = 1024;
/** Elements per thread at least before the tree (the tree is a software adapter's cost; see reduce.ts). */
const ITEMS_MIN = 16;
/** Threads per workgroup of the segmented pass. */
const WG_SEGMENTS = 64;

export interface MseArgs {
  /** Number of elements (batch x outputs), >= 1. */
  n: number;
  /** (n) f32, read. */
  pred: BufferRef;
  /** (n) f32, read. */
  target: BufferRef;
  /** (n) f32, overwritten with dloss/dpred * gradScale. Pass a scratch buffer when only the loss is wanted. */
  grad: BufferRef;
  /** (>= 1) f32; out[0] = loss. May be a 256-byte-aligned range of a larger metrics buffer. */
  out: BufferRef;
  /** Loss scale s (default 1): loss = s * mean((pred - target)^2). */
  scale?: number;
  /** Extra multiplier on the gradient only (default 1), e.g. 1 / gradient-accumulation steps. */
  gradScale?: number;
}

export interface MseLoss {
  /** Run in this order, in one pass or consecutive ones. */
  dispatches: Dispatch[];
  /** Rewrites the constants for the next submit (no rebuild). */
  setScale(scale: number, gradScale?: number): void;
}

/** loss = scale * mean((pred - target)^2) into out[0]; grad = gradScale * scale * 2 (pred - target) / n. */
export function mseLoss(device: GPUDevice, args: MseArgs): MseLoss {
  const { n } = args;
  if (!Number.isInteger(n) || n < 1) throw new Error(`mseLoss: n must be an integer >= 1, got ${n}`);
  const groups = Math.min(ceilDiv(n, WG * ITEMS_MIN), MAX_GROUPS);
  // float64 on the host, rounded once to f32 in the uniform.
  const fields = (scale: number, gradScale: number): UniformField[] => [
    ['u32', n], ['u32', groups], ['f32', (2 * gradScale * scale) / n], ['f32', scale / n], ['u32', 0], ['u32', 0],
  ];
  const params = createUniformBuffer(device, `mse.params(n=${n})`, fields(args.scale ?? 1, args.gradScale ?? 1));
  const parts = createStorageBuffer(device, `mse.parts(${groups})`, groups * 4);
  const p1 = getPipeline(device, 'mse', code, { WG }, 'main');
  const p2 = getPipeline(device, 'mse', code, { WG }, 'finalize');
  return {
    dispatches: [
      {
        label: `mse.main(n=${n})`,
        pipeline: p1,
        bindGroup: makeBindGroup(device, 'mse.main', p1, [params, args.pred, args.grad, parts, args.target]),
        workgroups: [groups, 1, 1],
      },
      {
        label: `mse.finalize(groups=${groups})`,
        pipeline: p2,
        bindGroup: makeBindGroup(device, 'mse.finalize', p2, [params, parts, args.out]),
        workgroups: [1, 1, 1],
      },
    ],
    setScale(scale, gradScale = 1) {
      writeUniforms(device, params, fields(scale, gradScale));
    },
  };
}

export interface MseSegmentsArgs {
  /** Runs. */
  segments: number;
  /** Elements per run (batch x outputs). */
  n: number;
  /** Floats between runs' predictions (and gradients). */
  segStride: number;
  pred: BufferRef;
  /** (n), shared by every run. */
  target: BufferRef;
  grad: BufferRef;
  /** out[r * outStride] = run r's loss. */
  out: BufferRef;
  outStride: number;
  scale?: number;
  gradScale?: number;
}

/** The MSE of R runs' predictions against one target, one workgroup per run, in one dispatch. */
export function mseLossSegments(device: GPUDevice, a: MseSegmentsArgs): Dispatch {
  const scale = a.scale ?? 1;
  const gradScale = a.gradScale ?? 1;
  const params = createUniformBuffer(device, `mse.segments.params(${a.segments}x${a.n})`, [
    ['u32', a.n], ['u32', a.segments], ['f32', (2 * gradScale * scale) / a.n], ['f32', scale / a.n], ['u32', a.segStride], ['u32', a.outStride],
  ]);
  const p = getPipeline(device, 'mse', code, { WG: WG_SEGMENTS }, 'segments');
  return {
    label: `mse.segments(${a.segments}x${a.n})`,
    pipeline: p,
    bindGroup: makeBindGroup(device, 'mse.segments', p, [params, a.pred, a.grad, a.out, a.target]),
    workgroups: [a.segments, 1, 1],
  };
}
