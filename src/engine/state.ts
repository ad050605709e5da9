/**
 * GPU buffers of a trainer's R runs (R = 1: a single run), allocated once. Layers before the first trainable one compute
 * the same thing for every run, so they run once ("shared"); from the first trainable layer on, each
 * buffer holds R per-run blocks at an aligned stride. The eval pass runs over the eval set in chunks
 * of evalRows rows (evalChunkRows: as many as a fixed memory budget allows, at least the batch): bigger
 * chunks mean fewer, larger dispatches, which on a software adapter made the eval pass of a 16-run
 * sweep ~3x faster than batch-sized chunks. When the chunk is the batch, the training activations are
 * reused and the eval pass costs no memory of its own.
 */
import { createStorageBuffer, uploadF32 } from '../gpu/buffers';
import { STATS_LENGTH } from '../gpu/kernels/reduce';
import { ALIGN, layerCount, needsInputGrad } from './layout';
import type { TrainSetup } from './types';
import { alignUp, batchedLayout, EVAL_BUFFER_BUDGET, evalChunkRows, padMatrix, tensorOffset, type BatchedLayout } from './runLayout';

export interface BatchedRunInit {
  r: number;
  scaling: number;
  loraA: (Float32Array | null)[];
  loraB: (Float32Array | null)[];
  /** Fully trained layers' initial weights (FFT runs): the base weights. */
}

/** A per-run (or shared) buffer and its stride between runs in floats (0 = shared by all runs). */
export interface Strided {
  buf: GPUBuffer;
  stride: number;
}

/** The forward activations of every run (what the eval pass writes; training has its own). */
export interface ForwardActs {
  z: Strided[];
  a: Strided[];
  h: (Strided | null)[];
  /** The loss kernel's gradient output for z[L-1] (same stride). */
  gLast: Strided;
}

export interface BatchedState {
  R: number;
  layout: BatchedLayout;
  firstTrainable: number;
  xStride: number;
  yStride: number;
  x: GPUBuffer;
  y: GPUBuffer;
  labels: GPUBuffer;
  /** Output of layer i: shared (stride 0, i < firstTrainable) or per run. */
  z: Strided[];
  a: Strided[];
  h: (Strided | null)[];
  xd: (Strided | null)[];
  gz: Strided[];
  ga: (Strided | null)[];
  dh: (Strided | null)[];
  dxl: (Strided | null)[];
  params: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  alphas: GPUBuffer; // per-run LoRA scaling s_i
  baseW: (GPUBuffer | null)[];
  /** Frozen biases (shared by every run; null without biases or where the layer is fully trained). */
  baseB: (GPUBuffer | null)[];
  teacherW: GPUBuffer[];
  teacherB: (GPUBuffer | null)[];
  /** The first trainable layer's frozen product X W0^T, the same for every run (null for FFT). */
  zBase: GPUBuffer | null;
  /** The teacher's scratch activations (batch rows, one copy: targets are shared by every run). */
  tz: GPUBuffer[];
  ta: GPUBuffer[];
  lossOut: GPUBuffer; // (R, accum) slots of ALIGN floats
  evalOut: GPUBuffer; // (R, chunks) slots of ALIGN floats
  stats: GPUBuffer; // R slots of ALIGN
  clipCoefs: GPUBuffer; // R slots of ALIGN
  watch: GPUBuffer; // R slots of ALIGN (u32)
  evalChunks: { rows: number; x: GPUBuffer; y: GPUBuffer; labels: GPUBuffer }[];
  /** Where the eval pass's forward writes: its own buffers for chunks longer than the batch. */
  evalActs: ForwardActs;
  all: GPUBuffer[];
}

/** evalBudget: bytes per eval activation buffer (tests shrink it to reach every chunking). */
export function allocateBatched(device: GPUDevice, shared: TrainSetup, runs: BatchedRunInit[], evalBudget = EVAL_BUFFER_BUDGET): BatchedState {
  const { spec } = shared;
  const R = runs.length;
  const L = layerCount(spec);
  const d = spec.sizes;
  const batch = shared.batch;
  const rmax = spec.r;
  const layout = batchedLayout(spec, R);
  const firstTrainable = spec.modes.findIndex((m) => m !== 'frozen');
  const all: GPUBuffer[] = [];
  const buf = (name: string, elems: number) => {
    const b = createStorageBuffer(device, `sweep.${name}`, elems * 4);
    all.push(b);
    return b;
  };
  const up = (name: string, data: Float32Array) => {
    const b = uploadF32(device, `sweep.${name}`, data);
    all.push(b);
    return b;
  };
  const perRun = (name: string, rows: number, width: number, shared: boolean): Strided =>
    shared ? { buf: buf(`${name}(${rows}x${width})`, rows * width), stride: 0 } : { buf: buf(`${name}(${R}x${rows}x${width})`, R * alignUp(rows * width)), stride: alignUp(rows * width) };

  // initial parameters: each run's block, LoRA factors padded to rmax
  const params = new Float32Array(layout.total);
  runs.forEach((run, i) => {
    for (const t of layout.block.tensors) {
      const off = tensorOffset(layout, i, t.name);
      const [rows, cols] = t.shape;
      if (t.name[0] === 'A') params.set(padMatrix(run.loraA[t.layer]!, run.r, cols, rows, cols), off);
      else if (t.name[0] === 'B') params.set(padMatrix(run.loraB[t.layer]!, rows, run.r, rows, cols), off);
      else if (t.name[0] === 'W') params.set(shared.base.W[t.layer], off);
      else params.set(shared.base.b![t.layer], off);
    }
  });
  const lora = (i: number) => spec.modes[i] === 'lora';
  const drop = (i: number) => lora(i) && shared.dropout > 0;
  const isShared = (i: number) => i < firstTrainable; // output of layer i
  const inputShared = (i: number) => i <= firstTrainable;
  const xStride = alignUp(batch * d[0]);
  const yStride = alignUp(batch * d[L]);

  const E = shared.evalX ? shared.evalRows : 0;
  const chunkRows = E > 0 ? evalChunkRows(batch, E, R, Math.max(...d), evalBudget) : batch;
  const evalChunks: BatchedState['evalChunks'] = [];
  for (let r0 = 0; r0 < E; r0 += chunkRows) {
    const rows = Math.min(chunkRows, E - r0);
    evalChunks.push({
      rows,
      x: up(`evalX[${r0}..]`, shared.evalX!.subarray(r0 * d[0], (r0 + rows) * d[0])),
      y: buf(`evalY[${r0}..]`, rows * d[L]),
      labels: buf(`evalLabels[${r0}..]`, rows),
    });
  }
  const z = d.slice(1).map((w, i) => perRun(`z${i}`, batch, w, isShared(i)));
  const a = d.slice(1, L).map((w, i) => perRun(`a${i}`, batch, w, isShared(i)));
  const h = d.slice(0, L).map((_, i) => (lora(i) ? perRun(`h${i}`, batch, rmax, false) : null));
  const gz = d.slice(1).map((w, i) => perRun(`gz${i}`, batch, w, isShared(i)));
  // Eval chunks longer than the batch get forward buffers of their own.
  const ev = (name: string, w: number, sharedBuf = false) => perRun(`eval.${name}`, chunkRows, w, sharedBuf);
  const evalActs: ForwardActs =
    chunkRows > batch
      ? {
          z: d.slice(1).map((w, i) => ev(`z${i}`, w, isShared(i))),
          a: d.slice(1, L).map((w, i) => ev(`a${i}`, w, isShared(i))),
          h: d.slice(0, L).map((_, i) => (lora(i) ? ev(`h${i}`, rmax) : null)),
          gLast: ev(`gz${L - 1}`, d[L], isShared(L - 1)),
        }
      : { z, a, h, gLast: gz[L - 1] };
  return {
    R,
    layout,
    firstTrainable,
    xStride,
    yStride,
    x: buf(`x(${shared.accum}x${batch}x${d[0]})`, shared.accum * xStride),
    y: buf('y', shared.accum * yStride),
    labels: buf('labels', shared.accum * yStride),
    z,
    a,
    h,
    xd: d.slice(0, L).map((w, i) => (drop(i) ? perRun(`xd${i}`, batch, w, inputShared(i)) : null)),
    gz,
    ga: d.slice(0, L).map((w, i) => (needsInputGrad(spec, i) ? perRun(`ga${i}`, batch, w, false) : null)),
    dh: d.slice(0, L).map((_, i) => (lora(i) ? perRun(`dh${i}`, batch, rmax, false) : null)),
    dxl: d.slice(0, L).map((w, i) => (drop(i) && needsInputGrad(spec, i) ? perRun(`dxl${i}`, batch, w, false) : null)),
    params: up('params', params),
    grads: buf('grads', layout.total),
    m: buf('m', layout.total),
    v: buf('v', layout.total),
    alphas: up('alphas', Float32Array.from(runs, (r) => r.scaling)),
    baseW: shared.base.W.map((W, i) => (spec.modes[i] === 'full' ? null : up(`base.W${i}`, W))),
    baseB: d.slice(0, L).map((_, i) => (shared.base.b && spec.modes[i] !== 'full' ? up(`base.b${i}`, shared.base.b[i]) : null)),
    teacherW: shared.teacher ? shared.teacher.W.map((W, i) => up(`teacher.W${i}`, W)) : [],
    teacherB: d.slice(0, L).map((_, i) => (shared.teacher?.b ? up(`teacher.b${i}`, shared.teacher.b[i]) : null)),
    zBase:
      firstTrainable >= 0 && spec.modes[firstTrainable] === 'lora' ? buf(`zBase${firstTrainable}`, batch * d[firstTrainable + 1]) : null,
    tz: d.slice(1).map((w, i) => buf(`teacher.z${i}`, Math.max(batch, chunkRows) * w)),
    ta: d.slice(1, L).map((w, i) => buf(`teacher.a${i}`, Math.max(batch, chunkRows) * w)),
    lossOut: buf('lossOut', R * shared.accum * ALIGN),
    evalOut: buf('evalOut', R * Math.max(1, evalChunks.length) * ALIGN),
    stats: buf('stats', R * ALIGN),
    clipCoefs: up('clipCoefs', new Float32Array(R * ALIGN).fill(1)),
    watch: buf('watch', R * ALIGN),
    evalChunks,
    evalActs,
    all,
  };
}

export const STATS_SLOT = Math.max(ALIGN, STATS_LENGTH);
