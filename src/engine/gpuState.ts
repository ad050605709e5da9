/**
 * The GPU buffers of one training run, allocated once from the setup (a table of named shapes).
 * Activations are shared by the micro-batches of a step (they run one after another in the same
 * command buffer); inputs, targets and loss slots have one slot per micro-batch, 256-byte aligned so
 * each can be bound on its own.
 */
import { createStorageBuffer, uploadF32 } from '../gpu/buffers';
import type { BufferRef } from '../gpu/dispatch';
import { STATS_LENGTH } from '../gpu/kernels/reduce';
import { ALIGN, layerCount, needsInputGrad, paramLayout, slot, type ParamLayout } from './layout';
import type { TrainSetup, Weights } from './types';

const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Per-layer activation buffers for a given number of rows. */
export interface Activations {
  rows: number;
  z: GPUBuffer[]; // pre-activation of layer i (rows, d_{i+1})
  a: GPUBuffer[]; // act(z_i) for i < L-1 (rows, d_{i+1})
  h: (GPUBuffer | null)[]; // LoRA H = d(x) A^T (rows, r)
  xd: (GPUBuffer | null)[]; // dropout(x) for the LoRA path (rows, d_i)
}

export interface Gradients {
  gz: GPUBuffer[]; // dL/dz_i (rows, d_{i+1})
  ga: (GPUBuffer | null)[]; // dL/d(input of layer i) (rows, d_i), where an earlier layer trains
  dh: (GPUBuffer | null)[]; // dL/dH (rows, r)
  dxl: (GPUBuffer | null)[]; // LoRA path's share of dL/dX before dropout's backward (rows, d_i)
}

export interface GpuState {
  layout: ParamLayout;
  xStride: number;
  yStride: number;
  /** Floats per loss slot (loss, accuracy), aligned. */
  lossStride: number;
  x: GPUBuffer; // (accum, xStride)
  y: GPUBuffer; // MSE targets (accum, yStride)
  labels: GPUBuffer; // CE labels (accum, yStride) u32
  params: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer; // AdamW first moment / SGD momentum
  v: GPUBuffer; // AdamW second moment
  baseW: (GPUBuffer | null)[]; // frozen W_i (null when fully trained: it lives in params)
  baseB: (GPUBuffer | null)[];
  teacherW: GPUBuffer[];
  teacherB: (GPUBuffer | null)[];
  acts: Activations;
  grad: Gradients;
  lossOut: GPUBuffer; // (accum, lossStride)
  stats: GPUBuffer; // [sumsq, nonfinite, sum]
  clipCoef: GPUBuffer; // (1)
  watch: GPUBuffer; // (1) u32: first diverged step
  evalX: GPUBuffer | null;
  evalY: GPUBuffer | null;
  evalLabels: GPUBuffer | null;
  evalActs: Activations | null;
  evalGrad: GPUBuffer | null; // unused loss gradient of the eval pass
  evalOut: GPUBuffer; // [loss, accuracy]
  all: GPUBuffer[];
}

export function sliceRef(buffer: GPUBuffer, offsetElems: number, sizeElems: number): GPUBufferBinding {
  return { buffer, offset: offsetElems * 4, size: Math.max(4, sizeElems * 4) };
}

/** Where trainable tensor `name` lives, as a binding into a flat buffer. */
export function tensorRef(st: GpuState, buffer: GPUBuffer, name: string): BufferRef {
  const s = slot(st.layout, name)!;
  return sliceRef(buffer, s.offset, s.size);
}

export function allocateState(device: GPUDevice, setup: TrainSetup, label: string): GpuState {
  const { spec } = setup;
  const L = layerCount(spec);
  const d = spec.sizes;
  const dOut = d[L];
  const all: GPUBuffer[] = [];
  const buf = (name: string, elems: number) => {
    const b = createStorageBuffer(device, `${label}.${name}`, elems * 4);
    all.push(b);
    return b;
  };
  const up = (name: string, data: Float32Array) => {
    const b = uploadF32(device, `${label}.${name}(${data.length})`, data);
    all.push(b);
    return b;
  };
  const layout = paramLayout(spec);
  const lora = (i: number) => spec.modes[i] === 'lora';
  const dropLayer = (i: number) => lora(i) && setup.dropout > 0;

  const makeActs = (rows: number, tag: string, withDropout: boolean): Activations => ({
    rows,
    z: d.slice(1).map((w, i) => buf(`${tag}.z${i}(${rows}x${w})`, rows * w)),
    a: d.slice(1, L).map((w, i) => buf(`${tag}.a${i}(${rows}x${w})`, rows * w)),
    h: d.slice(0, L).map((_, i) => (lora(i) ? buf(`${tag}.h${i}(${rows}x${spec.r})`, rows * spec.r) : null)),
    xd: d.slice(0, L).map((w, i) => (withDropout && dropLayer(i) ? buf(`${tag}.xd${i}(${rows}x${w})`, rows * w) : null)),
  });

  const B = setup.batch;
  const params = new Float32Array(layout.total);
  for (const t of layout.tensors) {
    const kind = t.name[0];
    const src = kind === 'A' ? setup.loraA[t.layer] : kind === 'B' ? setup.loraB[t.layer] : kind === 'W' ? setup.base.W[t.layer] : setup.base.b![t.layer];
    params.set(src!, t.offset);
  }
  const full = (i: number) => spec.modes[i] === 'full';
  const weights = (w: Weights, tag: string) => ({
    W: w.W.map((W, i) => up(`${tag}.W${i}`, W)),
    b: w.b ? w.b.map((b, i) => up(`${tag}.b${i}`, b)) : null,
  });
  const teacher = setup.teacher ? weights(setup.teacher, 'teacher') : null;
  const xStride = alignUp(B * d[0]);
  const yStride = alignUp(B * dOut);
  const lossStride = ALIGN;
  const E = setup.evalX ? setup.evalRows : 0;

  return {
    layout,
    xStride,
    yStride,
    lossStride,
    x: buf(`x(${setup.accum}x${B}x${d[0]})`, setup.accum * xStride),
    y: buf(`y(${setup.accum}x${B}x${dOut})`, setup.accum * yStride),
    labels: buf(`labels(${setup.accum}x${B})`, setup.accum * yStride),
    params: up('params', params),
    grads: buf(`grads(${layout.total})`, layout.total),
    m: buf(`m(${layout.total})`, layout.total),
    v: buf(`v(${layout.total})`, layout.total),
    baseW: setup.base.W.map((W, i) => (full(i) ? null : up(`base.W${i}`, W))),
    baseB: d.slice(0, L).map((_, i) => (setup.base.b && !full(i) ? up(`base.b${i}`, setup.base.b[i]) : null)),
    teacherW: teacher ? teacher.W : [],
    teacherB: teacher ? (teacher.b ?? d.slice(0, L).map(() => null)) : [],
    acts: makeActs(B, 'act', true),
    grad: {
      gz: d.slice(1).map((w, i) => buf(`gz${i}(${B}x${w})`, B * w)),
      ga: d.slice(0, L).map((w, i) => (needsInputGrad(spec, i) ? buf(`ga${i}(${B}x${w})`, B * w) : null)),
      dh: d.slice(0, L).map((_, i) => (lora(i) ? buf(`dh${i}(${B}x${spec.r})`, B * spec.r) : null)),
      dxl: d.slice(0, L).map((w, i) => (dropLayer(i) && needsInputGrad(spec, i) ? buf(`dxl${i}(${B}x${w})`, B * w) : null)),
    },
    lossOut: buf(`lossOut(${setup.accum}x${lossStride})`, setup.accum * lossStride),
    stats: buf('stats', STATS_LENGTH),
    clipCoef: up('clipCoef', Float32Array.of(1)),
    watch: buf('watch', 1),
    evalX: E ? up('evalX', setup.evalX!) : null,
    evalY: E ? buf(`evalY(${E}x${dOut})`, E * dOut) : null,
    evalLabels: E ? buf(`evalLabels(${E})`, E) : null,
    evalActs: E ? makeActs(E, 'eval', false) : null,
    evalGrad: E ? buf(`evalGrad(${E}x${dOut})`, E * dOut) : null,
    evalOut: buf('evalOut', 2),
    all,
  };
}
