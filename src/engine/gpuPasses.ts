/**
 * The model's dispatch lists, built once per run from the GpuState: teacher forward (targets), student
 * forward, backward, for a given set of activation buffers. Same math as src/ref/trainer.ts.
 */
import type { BufferRef, Dispatch } from '../gpu/dispatch';
import { matmul } from '../gpu/kernels/matmul';
import { activationBackward, activationForward } from '../gpu/kernels/activation';
import { dropoutBackwardAcc, dropoutForward, type DropoutDispatch } from '../gpu/kernels/dropout';
import { argmaxRows } from '../gpu/kernels/argmax';
import { loraLinearBackward, loraLinearForward, type LoraLinearShape } from '../gpu/layers/lora_linear';
import { layerCount, needsInputGrad } from './layout';
import { tensorRef, type Activations, type GpuState } from './gpuState';
import type { TrainSetup } from './types';

/** A dropout dispatch and the layer whose key it takes. */
export interface KeyedDropout {
  layer: number;
  d: DropoutDispatch;
}

export interface PassList {
  dispatches: Dispatch[];
  dropouts: KeyedDropout[];
}

function layerShape(setup: TrainSetup, i: number, rows: number): LoraLinearShape {
  const { spec } = setup;
  return { N: rows, dIn: spec.sizes[i], dOut: spec.sizes[i + 1], r: spec.r, scaling: spec.scaling, bias: spec.bias };
}

const weightRef = (st: GpuState, i: number): BufferRef => st.baseW[i] ?? tensorRef(st, st.params, `W${i}`);
const biasRef = (st: GpuState, i: number): BufferRef | undefined => st.baseB[i] ?? (st.layout.tensors.some((t) => t.name === `b${i}`) ? tensorRef(st, st.params, `b${i}`) : undefined);

/**
 * Teacher forward on `rows` rows of X into `y` (MSE targets) or `labels` (argmax, cross-entropy), with
 * `scratch` buffers for its activations (the single-run trainer lends the student's: the student's
 * forward overwrites them after).
 */
export function teacherForward(
  device: GPUDevice,
  setup: TrainSetup,
  teacher: { W: GPUBuffer[]; b: (GPUBuffer | null)[] },
  X: BufferRef,
  rows: number,
  scratch: { z: GPUBuffer[]; a: GPUBuffer[] },
  y: BufferRef,
  labels: BufferRef,
): Dispatch[] {
  const { spec } = setup;
  const L = layerCount(spec);
  const out: Dispatch[] = [];
  let input = X;
  for (let i = 0; i < L; i++) {
    const [dI, dO] = [spec.sizes[i], spec.sizes[i + 1]];
    const last = i === L - 1;
    const dst = last && spec.loss === 'mse' ? y : scratch.z[i];
    out.push(matmul(device, { M: rows, N: dO, K: dI, transB: true }, input, teacher.W[i], dst, { bias: teacher.b[i] ?? undefined, label: `teacher.l${i}` }));
    if (!last) {
      out.push(activationForward(device, spec.activation, rows * dO, scratch.z[i], scratch.a[i]));
      input = scratch.a[i];
    } else if (spec.loss === 'ce') out.push(argmaxRows(device, rows, dO, scratch.z[i], labels));
  }
  return out;
}

/** Student forward: output logits/predictions in acts.z[L-1]. Dropout only when `train`. */
export function studentForward(device: GPUDevice, st: GpuState, setup: TrainSetup, X: BufferRef, acts: Activations, train: boolean): PassList {
  const { spec } = setup;
  const L = layerCount(spec);
  const rows = acts.rows;
  const res: PassList = { dispatches: [], dropouts: [] };
  let input = X;
  for (let i = 0; i < L; i++) {
    const shape = layerShape(setup, i, rows);
    const lora = spec.modes[i] === 'lora';
    let loraInput: BufferRef | undefined;
    if (lora && train && setup.dropout > 0) {
      const d = dropoutForward(device, rows * shape.dIn, setup.dropout, input, acts.xd[i]!);
      res.dropouts.push({ layer: i, d });
      res.dispatches.push(d.dispatch);
      loraInput = acts.xd[i]!;
    }
    res.dispatches.push(
      ...loraLinearForward(
        device,
        shape,
        {
          X: input,
          XA: loraInput,
          W0: weightRef(st, i),
          b: biasRef(st, i),
          A: lora ? tensorRef(st, st.params, `A${i}`) : undefined,
          B: lora ? tensorRef(st, st.params, `B${i}`) : undefined,
          H: lora ? acts.h[i]! : undefined,
          Y: acts.z[i],
        },
        lora ? 'lora' : 'fft',
      ),
    );
    if (i < L - 1) {
      res.dispatches.push(activationForward(device, spec.activation, rows * shape.dOut, acts.z[i], acts.a[i]));
      input = acts.a[i];
    }
  }
  return res;
}

/**
 * Backward from st.grad.gz[L-1] (the loss gradient) down to the lowest trainable layer. Parameter
 * gradients land in st.grads; `accumulate` adds to them (micro-batches after the first).
 */
export function studentBackward(device: GPUDevice, st: GpuState, setup: TrainSetup, X: BufferRef, accumulate: boolean): PassList {
  const { spec } = setup;
  const L = layerCount(spec);
  const acts = st.acts;
  const rows = acts.rows;
  const g = st.grad;
  const res: PassList = { dispatches: [], dropouts: [] };
  for (let i = L - 1; i >= 0; i--) {
    const mode = spec.modes[i];
    const needDX = needsInputGrad(spec, i);
    if (mode === 'frozen' && !needDX) break; // nothing at or below this layer trains
    const shape = layerShape(setup, i, rows);
    const input = i === 0 ? X : acts.a[i - 1];
    const dropout = mode === 'lora' && setup.dropout > 0;
    if (mode === 'frozen') {
      // dX = G W0 only
      res.dispatches.push(matmul(device, { M: rows, N: shape.dIn, K: shape.dOut }, g.gz[i], weightRef(st, i), g.ga[i]!, { label: `frozen.l${i}.dX` }));
    } else {
      res.dispatches.push(
        ...loraLinearBackward(
          device,
          shape,
          {
            X: input,
            XA: dropout ? acts.xd[i]! : undefined,
            W0: weightRef(st, i),
            A: mode === 'lora' ? tensorRef(st, st.params, `A${i}`) : undefined,
            B: mode === 'lora' ? tensorRef(st, st.params, `B${i}`) : undefined,
            H: acts.h[i] ?? undefined,
            Y: acts.z[i],
          },
          {
            G: g.gz[i],
            dX: needDX ? g.ga[i]! : undefined,
            dXA: dropout && needDX ? g.dxl[i]! : undefined,
            dH: g.dh[i] ?? undefined,
            dA: mode === 'lora' ? tensorRef(st, st.grads, `A${i}`) : undefined,
            dB: mode === 'lora' ? tensorRef(st, st.grads, `B${i}`) : undefined,
            dW0: mode === 'full' ? tensorRef(st, st.grads, `W${i}`) : undefined,
            db: mode === 'full' && spec.bias ? tensorRef(st, st.grads, `b${i}`) : undefined,
          },
          mode === 'lora' ? 'lora' : 'fft',
          { accumulate },
        ),
      );
      if (dropout && needDX) {
        const d = dropoutBackwardAcc(device, rows * shape.dIn, setup.dropout, g.dxl[i]!, g.ga[i]!);
        res.dropouts.push({ layer: i, d });
        res.dispatches.push(d.dispatch);
      }
    }
    if (i > 0 && needDX) res.dispatches.push(activationBackward(device, spec.activation, rows * shape.dIn, acts.z[i - 1], g.ga[i]!, g.gz[i - 1]));
  }
  return res;
}
