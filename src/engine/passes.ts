/**
 * The model's dispatch lists for the trainer's R runs (R = 1: a single run), built once: the teacher's
 * forward (targets, shared by every run), the student's forward and backward. Each layer is the one GPU
 * LoRA linear layer (src/gpu/layers/lora_linear.ts); this module only wires layers, activations and
 * dropout together. Layers before the first trainable one compute the same thing for every run, so
 * they run once ("shared", stride 0). Same math as the CPU reference (src/ref/trainer.ts).
 */
import type { BufferRef, Dispatch } from '../gpu/dispatch';
import { matmul } from '../gpu/kernels/matmul';
import { activationBackward, activationForward } from '../gpu/kernels/activation';
import { dropoutBackwardAcc, dropoutForward, type DropoutDispatch } from '../gpu/kernels/dropout';
import { argmaxRows } from '../gpu/kernels/argmax';
import { loraLinearBackward, loraLinearForward, shared, type LoraLinearShape, type Operand } from '../gpu/layers/lora_linear';
import { layerCount, needsInputGrad } from './layout';
import type { TrainSetup } from './types';
import { tensorOffset } from './runLayout';
import type { BatchedState, ForwardActs, Strided } from './state';

/** A dropout dispatch and the layer whose key it takes. */
export interface KeyedDropout {
  layer: number;
  d: DropoutDispatch;
}

export interface PassList {
  dispatches: Dispatch[];
  dropouts: KeyedDropout[];
}

const op = (s: Strided): Operand => ({ buf: s.buf, offset: 0, stride: s.stride });
const whole = (b: BufferRef): Operand => ('buffer' in b ? { buf: b.buffer, offset: (b.offset ?? 0) / 4, stride: 0 } : shared(b));

/** Run i's trainable tensor `name` in a flat per-run buffer (params or grads). */
const param = (st: BatchedState, buf: GPUBuffer, name: string): Operand => ({ buf, offset: tensorOffset(st.layout, 0, name), stride: st.layout.blockSize });

function layerShape(setup: TrainSetup, i: number, rows: number, runs: number): LoraLinearShape {
  const { spec } = setup;
  return { rows, dIn: spec.sizes[i], dOut: spec.sizes[i + 1], r: spec.r, runs, bias: spec.bias };
}

/** The frozen or fully trained weight and bias of layer i. */
function weights(st: BatchedState, setup: TrainSetup, i: number): { W0: Operand; b?: Operand } {
  const full = setup.spec.modes[i] === 'full';
  const W0 = full ? param(st, st.params, `W${i}`) : shared(st.baseW[i]!);
  const b = !setup.spec.bias ? undefined : full ? param(st, st.params, `b${i}`) : shared(st.baseB[i]!);
  return { W0, b };
}

/**
 * Teacher forward (shared: targets are the same for every run) on `rows` rows of X into y (MSE
 * targets) or labels (argmax, cross-entropy), with the teacher's scratch activations.
 */
export function teacherForward(device: GPUDevice, st: BatchedState, setup: TrainSetup, X: BufferRef, rows: number, y: BufferRef, labels: BufferRef): Dispatch[] {
  const { spec } = setup;
  const L = layerCount(spec);
  const out: Dispatch[] = [];
  let input = X;
  for (let i = 0; i < L; i++) {
    const [dI, dO] = [spec.sizes[i], spec.sizes[i + 1]];
    const last = i === L - 1;
    const dst = last && spec.loss === 'mse' ? y : st.tz[i];
    out.push(matmul(device, { M: rows, N: dO, K: dI, transB: true }, input, st.teacherW[i], dst, { bias: st.teacherB[i] ?? undefined, label: `teacher.l${i}` }));
    if (!last) {
      out.push(activationForward(device, spec.activation, rows * dO, st.tz[i], st.ta[i]));
      input = st.ta[i];
    } else if (spec.loss === 'ce') out.push(argmaxRows(device, rows, dO, st.tz[i], labels));
  }
  return out;
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
export function sharedPrefix(device: GPUDevice, st: BatchedState, setup: TrainSetup, X: BufferRef, rows: number, out: { input: GPUBuffer | null; zBase: GPUBuffer }): Dispatch[] {
  const { spec } = setup;
  const f = st.firstTrainable;
  const list: Dispatch[] = [];
  let input: BufferRef = X;
  for (let i = 0; i < f; i++) {
    const dst = i === f - 1 ? out.input! : st.ta[i];
    list.push(...loraLinearForward(device, layerShape(setup, i, rows, 1), { X: whole(input), ...weights(st, setup, i), Y: shared(st.tz[i]) }, 'frozen', { label: `prefix.l${i}` }));
    list.push(activationForward(device, spec.activation, rows * spec.sizes[i + 1], st.tz[i], dst));
    input = dst;
  }
  // only the frozen product of layer f (its LoRA path is per run)
  list.push(...loraLinearForward(device, layerShape(setup, f, rows, 1), { X: whole(input), ...weights(st, setup, f), Y: shared(out.zBase) }, 'frozen', { label: `prefix.l${f}.Y0` }));
  return list;
}

/**
 * Student forward for all runs on `rows` rows into `acts` (the training activations, rows <= batch,
 * or the eval pass's, rows <= its chunk); dropout only when training. With `pre`, the shared prefix
 * was computed already (the eval set's): start from it.
 */
export function studentForward(
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
  const res: PassList = { dispatches: [], dropouts: [] };
  const f = st.firstTrainable;
  let inputRef: BufferRef = pre && f > 0 ? pre.input : X;
  for (let i = pre ? f : 0; i < L; i++) {
    const dI = spec.sizes[i];
    const z = acts.z[i];
    const input = i > 0 && i > f ? op(acts.a[i - 1]) : whole(inputRef);
    const mode = i < f ? 'frozen' : spec.modes[i];
    const runs = i < f ? 1 : st.R;
    let XA: Operand | undefined;
    if (mode === 'lora' && train && setup.dropout > 0) {
      const xd = st.xd[i]!;
      const n = xd.stride === 0 ? rows * dI : st.R * xd.stride;
      const d = dropoutForward(device, n, setup.dropout, inputRef, xd.buf, xd.stride || undefined);
      res.dropouts.push({ layer: i, d });
      res.dispatches.push(d.dispatch);
      XA = op(xd);
    }
    // The first trainable layer's frozen product is the same for every run: once, then broadcast.
    const Y0 = i === f && mode === 'lora' ? (pre ? pre.zBase : st.zBase!) : undefined;
    res.dispatches.push(
      ...loraLinearForward(
        device,
        layerShape(setup, i, rows, runs),
        {
          X: input,
          XA,
          ...weights(st, setup, i),
          A: mode === 'lora' ? param(st, st.params, `A${i}`) : undefined,
          B: mode === 'lora' ? param(st, st.params, `B${i}`) : undefined,
          H: mode === 'lora' ? op(acts.h[i]!) : undefined,
          Y: op(z),
          alphas: st.alphas,
          Y0,
        },
        mode,
        { y0Ready: !!pre, label: `l${i}` },
      ),
    );
    if (i < L - 1) {
      const a = acts.a[i];
      res.dispatches.push(activationForward(device, spec.activation, a.stride === 0 ? rows * spec.sizes[i + 1] : st.R * a.stride, z.buf, a.buf));
      inputRef = a.buf;
    }
  }
  return res;
}

/** Backward for all runs from st.gz[L-1]; parameter gradients into st.grads (accumulate after micro 0). */
export function studentBackward(device: GPUDevice, st: BatchedState, setup: TrainSetup, X: BufferRef, accumulate: boolean): PassList {
  const { spec } = setup;
  const L = layerCount(spec);
  const rows = setup.batch;
  const res: PassList = { dispatches: [], dropouts: [] };
  // nothing trains (the base model alone, e.g. an export's reference outputs): no backward at all
  if (st.firstTrainable < 0) return res;
  for (let i = L - 1; i >= st.firstTrainable; i--) {
    const mode = spec.modes[i];
    const needDX = needsInputGrad(spec, i);
    const input: Operand = i === 0 ? whole(X) : op(st.a[i - 1]);
    const lora = mode === 'lora';
    const dropout = lora && setup.dropout > 0;
    const ga = st.ga[i];
    res.dispatches.push(
      ...loraLinearBackward(
        device,
        layerShape(setup, i, rows, st.R),
        {
          X: input,
          XA: dropout ? op(st.xd[i]!) : undefined,
          ...weights(st, setup, i),
          A: lora ? param(st, st.params, `A${i}`) : undefined,
          B: lora ? param(st, st.params, `B${i}`) : undefined,
          H: lora ? op(st.h[i]!) : undefined,
          Y: op(st.z[i]),
          alphas: st.alphas,
        },
        {
          G: op(st.gz[i]),
          dX: needDX ? op(ga!) : undefined,
          dXA: dropout && needDX ? op(st.dxl[i]!) : undefined,
          dH: lora ? op(st.dh[i]!) : undefined,
          dA: lora ? param(st, st.grads, `A${i}`) : undefined,
          dB: lora ? param(st, st.grads, `B${i}`) : undefined,
          dW0: mode === 'full' ? param(st, st.grads, `W${i}`) : undefined,
          db: mode === 'full' && spec.bias ? param(st, st.grads, `b${i}`) : undefined,
        },
        mode,
        { accumulate, label: `l${i}` },
      ),
    );
    if (dropout && needDX) {
      const dxl = st.dxl[i]!;
      const d = dropoutBackwardAcc(device, st.R * dxl.stride, setup.dropout, dxl.buf, ga!.buf, dxl.stride);
      res.dropouts.push({ layer: i, d });
      res.dispatches.push(d.dispatch);
    }
    if (needDX) res.dispatches.push(activationBackward(device, spec.activation, st.R * ga!.stride, st.z[i - 1].buf, ga!.buf, st.gz[i - 1].buf));
  }
  return res;
}
