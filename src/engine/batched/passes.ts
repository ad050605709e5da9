/**
 * Dispatch lists of a batched sweep group: the same math as src/engine/gpuPasses.ts (and the CPU
 * reference), with every matmul batched over the R runs (grid z = run; per-run strides; the frozen
 * base weights shared with stride 0; each run's LoRA scaling from a per-run alpha buffer).
 */
import type { BufferRef, Dispatch } from '../../gpu/dispatch';
import { matmul, type MatmulShape } from '../../gpu/kernels/matmul';
import { activationBackward, activationForward } from '../../gpu/kernels/activation';
import { dropoutBackwardAcc, dropoutForward } from '../../gpu/kernels/dropout';
import { broadcastAdd } from '../../gpu/kernels/broadcast_add';
import { layerCount, needsInputGrad } from '../layout';
import { teacherForward, type KeyedDropout, type PassList } from '../gpuPasses';
import type { TrainSetup } from '../types';
import { tensorOffset } from './layout';
import type { BatchedState, ForwardActs, Strided } from './state';

type Operand = { buf: GPUBuffer; offset: number; stride: number };

const op = (s: Strided, offset = 0): Operand => ({ buf: s.buf, offset, stride: s.stride });
const whole = (b: BufferRef): Operand => ('buffer' in b ? { buf: b.buffer, offset: (b.offset ?? 0) / 4, stride: 0 } : { buf: b, offset: 0, stride: 0 });

/**
 * A matmul over the R runs: C_i = alpha (s_i) op(A_i) op(B_i) (+ C_i), operand i at offset + i * stride
 * (elements; stride 0 = shared by every run). Whole buffers are bound and offsets go to the shader, so
 * no 256-byte binding alignment is needed.
 */
function bmm(device: GPUDevice, st: BatchedState, shape: MatmulShape, a: Operand, b: Operand, c: Operand, o: { alphas?: boolean; accumulate?: boolean; label: string }): Dispatch {
  return matmul(device, shape, a.buf, b.buf, c.buf, {
    accumulate: o.accumulate,
    label: o.label,
    batch: {
      count: st.R,
      strideA: a.stride,
      strideB: b.stride,
      strideC: c.stride,
      offsetA: a.offset,
      offsetB: b.offset,
      offsetC: c.offset,
      alphas: o.alphas ? st.alphas : undefined,
    },
  });
}

/** Teacher forward (shared: targets are the same for every run) on `rows` rows into y or labels. */
export function batchedTeacher(device: GPUDevice, st: BatchedState, setup: TrainSetup, X: BufferRef, rows: number, y: BufferRef, labels: BufferRef): Dispatch[] {
  return teacherForward(device, setup, { W: st.teacherW, b: [] }, X, rows, { z: st.tz, a: st.ta }, y, labels);
}

/** What every run shares up to the first trainable layer f: f's input and its frozen product X W0^T. */
export interface SharedPrefix {
  input: BufferRef;
  zBase: GPUBuffer;
}

/**
 * The shared prefix on `rows` rows into `out` (layers before f, then f's frozen product). The eval set
 * is fixed, so its prefix is computed once, at creation, and each eval pass starts from it.
 */
export function batchedPrefix(device: GPUDevice, st: BatchedState, setup: TrainSetup, X: BufferRef, rows: number, out: { input: GPUBuffer | null; zBase: GPUBuffer }): Dispatch[] {
  const { spec } = setup;
  const f = st.firstTrainable;
  const list: Dispatch[] = [];
  let input: BufferRef = X;
  for (let i = 0; i < f; i++) {
    const dO = spec.sizes[i + 1];
    list.push(matmul(device, { M: rows, N: dO, K: spec.sizes[i], transB: true }, input, st.baseW[i]!, st.tz[i], { label: `sweep.prefix.l${i}` }));
    const dst = i === f - 1 ? out.input! : st.ta[i];
    list.push(activationForward(device, spec.activation, rows * dO, st.tz[i], dst));
    input = dst;
  }
  list.push(matmul(device, { M: rows, N: spec.sizes[f + 1], K: spec.sizes[f], transB: true }, input, st.baseW[f]!, out.zBase, { label: `sweep.prefix.l${f}.Y0` }));
  return list;
}

/**
 * Student forward for all runs on `rows` rows into `acts` (the training activations, rows <= batch,
 * or the eval pass's, rows <= its chunk); dropout only when training. With `pre`, the shared prefix
 * was computed already (the eval set's): start from it.
 */
export function batchedForward(
  device: GPUDevice,
  st: BatchedState,
  setup: TrainSetup,
  X: BufferRef,
  rows: number,
  train: boolean,
  acts: Pick<ForwardActs, 'z' | 'a' | 'h'> = st,
  pre?: SharedPrefix,
): PassList {
  const { spec } = setup;
  const L = layerCount(spec);
  const res: PassList = { dispatches: [], dropouts: [] as KeyedDropout[] };
  const lay = st.layout;
  const f = st.firstTrainable;
  let input: Operand = whole(pre && f > 0 ? pre.input : X);
  let inputRef: BufferRef = pre && f > 0 ? pre.input : X; // for the shared layers (plain, unbatched matmuls)
  for (let i = pre ? f : 0; i < L; i++) {
    const [dI, dO] = [spec.sizes[i], spec.sizes[i + 1]];
    const z = acts.z[i];
    if (i < st.firstTrainable) {
      res.dispatches.push(matmul(device, { M: rows, N: dO, K: dI, transB: true }, inputRef, st.baseW[i]!, z.buf, { label: `sweep.shared.l${i}` }));
    } else {
      // The first trainable layer's frozen product is the same for every run: once, then broadcast.
      const shareBase = i === st.firstTrainable && st.zBase !== null;
      const zBase = pre ? pre.zBase : st.zBase!;
      const W: Operand = st.baseW[i] ? { buf: st.baseW[i]!, offset: 0, stride: 0 } : { buf: st.params, offset: tensorOffset(lay, 0, `W${i}`), stride: lay.blockSize };
      // (with `pre`, zBase holds it already; the LoRA product below then overwrites z and adds zBase)
      if (shareBase) {
        if (!pre) res.dispatches.push(matmul(device, { M: rows, N: dO, K: dI, transB: true }, inputRef, st.baseW[i]!, zBase, { label: `sweep.l${i}.Y0.shared` }));
      } else res.dispatches.push(bmm(device, st, { M: rows, N: dO, K: dI, transB: true }, input, W, op(z), { label: `sweep.l${i}.Y0` }));
      if (spec.modes[i] === 'lora') {
        let xa = input;
        if (train && setup.dropout > 0) {
          const xd = st.xd[i]!;
          const n = xd.stride === 0 ? rows * dI : st.R * xd.stride;
          const d = dropoutForward(device, n, setup.dropout, inputRef, xd.buf, xd.stride || undefined);
          res.dropouts.push({ layer: i, d });
          res.dispatches.push(d.dispatch);
          xa = op(xd);
        }
        const h = op(acts.h[i]!);
        res.dispatches.push(bmm(device, st, { M: rows, N: spec.r, K: dI, transB: true }, xa, { buf: st.params, offset: tensorOffset(lay, 0, `A${i}`), stride: lay.blockSize }, h, { label: `sweep.l${i}.H` }));
        res.dispatches.push(
          bmm(device, st, { M: rows, N: dO, K: spec.r, transB: true }, h, { buf: st.params, offset: tensorOffset(lay, 0, `B${i}`), stride: lay.blockSize }, op(z), { alphas: true, accumulate: !shareBase, label: `sweep.l${i}.Y` }),
        );
        // s H B^T + X W0^T: the same two f32 terms as the single run's X W0^T + s H B^T (addition commutes)
        if (shareBase) res.dispatches.push(broadcastAdd(device, rows * dO, st.R, z.stride, zBase, z.buf));
      }
    }
    if (i < L - 1) {
      const a = acts.a[i];
      res.dispatches.push(activationForward(device, spec.activation, a.stride === 0 ? rows * dO : st.R * a.stride, z.buf, a.buf));
      input = op(a);
      inputRef = a.buf;
    }
  }
  return res;
}

/** Backward for all runs from st.gz[L-1]; parameter gradients into st.grads (accumulate after micro 0). */
export function batchedBackward(device: GPUDevice, st: BatchedState, setup: TrainSetup, X: BufferRef, accumulate: boolean): PassList {
  const { spec } = setup;
  const L = layerCount(spec);
  const rows = setup.batch;
  const lay = st.layout;
  const res: PassList = { dispatches: [], dropouts: [] };
  const param = (buf: GPUBuffer, name: string): Operand => ({ buf, offset: tensorOffset(lay, 0, name), stride: lay.blockSize });
  for (let i = L - 1; i >= st.firstTrainable; i--) {
    const [dI, dO] = [spec.sizes[i], spec.sizes[i + 1]];
    const mode = spec.modes[i];
    const needDX = needsInputGrad(spec, i);
    const G = op(st.gz[i]);
    const input: Operand = i === 0 ? whole(X) : op(st.a[i - 1]);
    const W0: Operand = st.baseW[i] ? { buf: st.baseW[i]!, offset: 0, stride: 0 } : param(st.params, `W${i}`);
    const ga = st.ga[i];
    if (needDX) res.dispatches.push(bmm(device, st, { M: rows, N: dI, K: dO }, G, W0, op(ga!), { label: `sweep.l${i}.dX0` }));
    if (mode === 'lora') {
      const dropout = setup.dropout > 0;
      const xa = dropout ? op(st.xd[i]!) : input;
      const dh = op(st.dh[i]!);
      res.dispatches.push(bmm(device, st, { M: dO, N: spec.r, K: rows, transA: true }, G, op(st.h[i]!), param(st.grads, `B${i}`), { alphas: true, accumulate, label: `sweep.l${i}.dB` }));
      res.dispatches.push(bmm(device, st, { M: rows, N: spec.r, K: dO }, G, param(st.params, `B${i}`), dh, { alphas: true, label: `sweep.l${i}.dH` }));
      res.dispatches.push(bmm(device, st, { M: spec.r, N: dI, K: rows, transA: true }, dh, xa, param(st.grads, `A${i}`), { accumulate, label: `sweep.l${i}.dA` }));
      if (needDX) {
        if (dropout) {
          const dxl = st.dxl[i]!;
          res.dispatches.push(bmm(device, st, { M: rows, N: dI, K: spec.r }, dh, param(st.params, `A${i}`), op(dxl), { label: `sweep.l${i}.dXA` }));
          const d = dropoutBackwardAcc(device, st.R * dxl.stride, setup.dropout, dxl.buf, ga!.buf, dxl.stride);
          res.dropouts.push({ layer: i, d });
          res.dispatches.push(d.dispatch);
        } else res.dispatches.push(bmm(device, st, { M: rows, N: dI, K: spec.r }, dh, param(st.params, `A${i}`), op(ga!), { accumulate: true, label: `sweep.l${i}.dX` }));
      }
    } else if (mode === 'full') {
      res.dispatches.push(bmm(device, st, { M: dO, N: dI, K: rows, transA: true }, G, input, param(st.grads, `W${i}`), { accumulate, label: `sweep.l${i}.dW` }));
    }
    if (needDX) res.dispatches.push(activationBackward(device, spec.activation, st.R * ga!.stride, st.z[i - 1].buf, ga!.buf, st.gz[i - 1].buf));
  }
  return res;
}
