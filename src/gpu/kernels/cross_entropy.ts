/**
 * Launcher for shaders/cross_entropy.wgsl: softmax cross-entropy with integer labels. Loss and accuracy
 * are reduced on the GPU into out[0], out[1]; the gradient with respect to the logits is written in the
 * same dispatch chain.
 */
import code from '../../../shaders/cross_entropy.wgsl?raw';
import { getPipeline } from '../pipelines';
import { isSoftwareDevice } from '../device';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createStorageBuffer } from '../buffers';
import { createUniformBuffer, writeUniforms, type UniformField } from '../uniforms';
import { grid1d } from '../util';

/**
 * Threads per row: classes are 10 to a few hundred here, so 64 keeps most threads busy; on a software
 * adapter (a CPU), where every barrier of the reduction trees is costly, 4 threads per row.
 */
const WG = 64;
const WG_SOFTWARE = 4;

export interface CrossEntropyArgs {
  rows: number;
  classes: number;
  /** (rows, classes) f32, read. */
  logits: BufferRef;
  /** (rows) u32, read; each < classes (a larger label is treated as classes - 1). */
  labels: BufferRef;
  /** (rows, classes) f32, overwritten with dloss/dlogits * gradScale. */
  grad: BufferRef;
  /** (>= 2) f32: out[0] = mean loss, out[1] = accuracy. May be a 256-byte-aligned range. */
  out: BufferRef;
  /** Extra multiplier on the gradient only (default 1), e.g. 1 / gradient-accumulation steps. */
  gradScale?: number;
}

export interface CrossEntropyLoss {
  /** Run in this order, in one pass or consecutive ones. */
  dispatches: Dispatch[];
  /** Rewrites the gradient factor for the next submit (no rebuild). */
  setGradScale(gradScale: number): void;
}

export function crossEntropyLoss(device: GPUDevice, args: CrossEntropyArgs): CrossEntropyLoss {
  const { rows, classes } = args;
  for (const [name, v] of [['rows', rows], ['classes', classes]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`crossEntropyLoss: ${name} must be an integer >= 1, got ${v}`);
  }
  const fields = (gradScale: number): UniformField[] => [
    ['u32', rows], ['u32', classes], ['f32', gradScale / rows], ['f32', 1 / rows],
  ];
  const params = createUniformBuffer(device, `cross_entropy.params(${rows}x${classes})`, fields(args.gradScale ?? 1));
  const parts = createStorageBuffer(device, `cross_entropy.parts(${rows}x2)`, rows * 2 * 4);
  const wg = isSoftwareDevice(device) ? WG_SOFTWARE : WG;
  const p1 = getPipeline(device, 'cross_entropy', code, { WG: wg }, 'rows');
  const p2 = getPipeline(device, 'cross_entropy', code, { WG: wg }, 'finalize');
  return {
    dispatches: [
      {
        label: `cross_entropy.rows(${rows}x${classes})`,
        pipeline: p1,
        bindGroup: makeBindGroup(device, 'cross_entropy.rows', p1, [params, args.logits, args.grad, parts, args.labels]),
        workgroups: grid1d(rows, 1),
      },
      {
        label: `cross_entropy.finalize(rows=${rows})`,
        pipeline: p2,
        bindGroup: makeBindGroup(device, 'cross_entropy.finalize', p2, [params, parts, args.out]),
        workgroups: [1, 1, 1],
      },
    ],
    setGradScale(gradScale) {
      writeUniforms(device, params, fields(gradScale));
    },
  };
}
