/**
 * The LoRA linear layer on the GPU for R runs at once (R = 1 is a single run), composed of batched
 * matmul dispatches (grid z = run). Math and shapes as src/ref/lora_linear.ts:
 *   forward:  H = XA A^T;  Y = X W0^T (+ b) + s H B^T
 *   backward: dB = s G^T H;  dH = s G B;  dA = dH^T XA;  dX = G W0 + dH A   (lora)
 *             dW0 = G^T X;  db = G^T 1;  dX = G W0                           (full fine-tuning)
 *             dX = G W0                                                      (frozen, when a lower layer trains)
 * Every operand is a buffer, an element offset and a per-run stride (stride 0: one tensor shared by every
 * run, as the frozen base is). s is per run, from the `alphas` buffer (R floats).
 * XA, the LoRA path's input, is X unless dropout is on; then the caller passes dropout(X) as XA and a
 * separate dXA operand, which receives dH A alone, to put through the dropout mask into dX itself.
 * `Y0` (optional, forward): the frozen product X W0^T (+ b) is the same for every run when X and W0 are
 * shared, so it is computed once into Y0 (or was already, `y0Ready`) and broadcast-added to each run's
 * s H B^T. `accumulate` adds parameter gradients to what is there (gradient accumulation); `accumulateDx`
 * adds dX to what is there (an input read by several modules).
 */
import type { Dispatch } from '../dispatch';
import { matmul, type MatmulShape } from '../kernels/matmul';
import { broadcastAdd } from '../kernels/broadcast_add';
import { uploadF32 } from '../buffers';

/** A tensor of each run: run i's starts at offset + i * stride (f32 elements; stride 0 = shared). */
export interface Operand {
  buf: GPUBuffer;
  offset: number;
  stride: number;
}

export const shared = (buf: GPUBuffer, offset = 0): Operand => ({ buf, offset, stride: 0 });

export interface LoraLinearShape {
  rows: number;
  dIn: number;
  dOut: number;
  r: number;
  runs: number;
  bias: boolean;
}

export type LayerMode = 'frozen' | 'lora' | 'full';

export interface LoraLinearBuffers {
  X: Operand;
  /** The LoRA path's input when it differs from X (dropout). */
  XA?: Operand;
  W0: Operand;
  b?: Operand;
  A?: Operand;
  B?: Operand;
  H?: Operand;
  Y: Operand;
  /** Per-run LoRA scaling s (runs floats). */
  alphas?: GPUBuffer;
  /** The shared frozen product (rows, dOut), see the header. */
  Y0?: GPUBuffer;
}

export interface LoraLinearGrads {
  G: Operand;
  dX?: Operand;
  /** With dropout: receives dH A; dX then gets only G W0. */
  dXA?: Operand;
  dA?: Operand;
  dB?: Operand;
  dH?: Operand;
  dW0?: Operand;
  db?: Operand;
}

/** A ones vector per (device, length), for db = G^T 1. */
const onesCache = new WeakMap<GPUDevice, Map<number, GPUBuffer>>();
function ones(device: GPUDevice, n: number): GPUBuffer {
  let m = onesCache.get(device);
  if (!m) onesCache.set(device, (m = new Map()));
  let b = m.get(n);
  if (!b) m.set(n, (b = uploadF32(device, `ones(${n})`, new Float32Array(n).fill(1))));
  return b;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`lora_linear: ${what} is required`);
  return v;
}

interface MmOpts {
  runs: number;
  alphas?: GPUBuffer;
  accumulate?: boolean;
  bias?: Operand;
  label: string;
}

/** C_i = (s_i) op(A_i) op(B_i) (+ bias_i) (+ C_i) for every run i: one dispatch. */
function bmm(device: GPUDevice, shape: MatmulShape, a: Operand, b: Operand, c: Operand, o: MmOpts): Dispatch {
  return matmul(device, shape, a.buf, b.buf, c.buf, {
    accumulate: o.accumulate,
    label: o.label,
    bias: o.bias?.buf,
    batch: {
      count: o.runs,
      strideA: a.stride,
      strideB: b.stride,
      strideC: c.stride,
      offsetA: a.offset,
      offsetB: b.offset,
      offsetC: c.offset,
      alphas: o.alphas,
      offsetBias: o.bias?.offset,
      strideBias: o.bias?.stride,
    },
  });
}

/** Forward into Y. y0Ready: Y0 already holds this X's frozen product (a fixed eval set's prefix). */
export function loraLinearForward(device: GPUDevice, sh: LoraLinearShape, bufs: LoraLinearBuffers, mode: LayerMode, opts: { y0Ready?: boolean; label?: string } = {}): Dispatch[] {
  const { rows, dIn, dOut, r, runs } = sh;
  const tag = opts.label ?? 'lora';
  const bias = sh.bias ? need(bufs.b, 'b') : undefined;
  const out: Dispatch[] = [];
  const y0 = mode === 'lora' ? bufs.Y0 : undefined;
  if (y0) {
    if (bufs.X.stride !== 0 || bufs.W0.stride !== 0) throw new Error('lora_linear: a shared Y0 needs a shared X and W0');
    if (!opts.y0Ready) out.push(bmm(device, { M: rows, N: dOut, K: dIn, transB: true }, bufs.X, bufs.W0, shared(y0), { runs: 1, bias, label: `${tag}.Y0.shared` }));
  } else out.push(bmm(device, { M: rows, N: dOut, K: dIn, transB: true }, bufs.X, bufs.W0, bufs.Y, { runs, bias, label: `${tag}.Y0` }));
  if (mode === 'lora') {
    const H = need(bufs.H, 'H');
    const alphas = need(bufs.alphas, 'alphas');
    out.push(bmm(device, { M: rows, N: r, K: dIn, transB: true }, bufs.XA ?? bufs.X, need(bufs.A, 'A'), H, { runs, label: `${tag}.H` }));
    out.push(bmm(device, { M: rows, N: dOut, K: r, transB: true }, H, need(bufs.B, 'B'), bufs.Y, { runs, alphas, accumulate: !y0, label: `${tag}.Y` }));
    // s H B^T + X W0^T: the same two f32 terms as X W0^T + s H B^T (addition commutes)
    if (y0) out.push(broadcastAdd(device, rows * dOut, runs, bufs.Y.stride, y0, { buffer: bufs.Y.buf, offset: bufs.Y.offset * 4 }));
  }
  return out;
}

export function loraLinearBackward(
  device: GPUDevice,
  sh: LoraLinearShape,
  bufs: LoraLinearBuffers,
  g: LoraLinearGrads,
  mode: LayerMode,
  opts: { accumulate?: boolean; accumulateDx?: boolean; label?: string } = {},
): Dispatch[] {
  const { rows, dIn, dOut, r, runs } = sh;
  const acc = opts.accumulate ?? false;
  const tag = opts.label ?? mode;
  const out: Dispatch[] = [];
  // accumulateDx: dX += G W0 (+ dH A), for an input that feeds several modules (q, k, v; gate, up)
  if (g.dX) out.push(bmm(device, { M: rows, N: dIn, K: dOut }, g.G, bufs.W0, g.dX, { runs, accumulate: opts.accumulateDx, label: `${tag}.dX0` }));
  if (mode === 'lora') {
    const alphas = need(bufs.alphas, 'alphas');
    const dH = need(g.dH, 'dH');
    const A = need(bufs.A, 'A');
    out.push(bmm(device, { M: dOut, N: r, K: rows, transA: true }, g.G, need(bufs.H, 'H'), need(g.dB, 'dB'), { runs, alphas, accumulate: acc, label: `${tag}.dB` }));
    out.push(bmm(device, { M: rows, N: r, K: dOut }, g.G, need(bufs.B, 'B'), dH, { runs, alphas, label: `${tag}.dH` }));
    out.push(bmm(device, { M: r, N: dIn, K: rows, transA: true }, dH, bufs.XA ?? bufs.X, need(g.dA, 'dA'), { runs, accumulate: acc, label: `${tag}.dA` }));
    if (g.dX) {
      if (g.dXA) out.push(bmm(device, { M: rows, N: dIn, K: r }, dH, A, g.dXA, { runs, label: `${tag}.dXA` }));
      else out.push(bmm(device, { M: rows, N: dIn, K: r }, dH, A, g.dX, { runs, accumulate: true, label: `${tag}.dX` }));
    }
  } else if (mode === 'full') {
    out.push(bmm(device, { M: dOut, N: dIn, K: rows, transA: true }, g.G, bufs.X, need(g.dW0, 'dW0'), { runs, accumulate: acc, label: `${tag}.dW0` }));
    if (sh.bias) out.push(bmm(device, { M: dOut, N: 1, K: rows, transA: true }, g.G, shared(ones(device, rows)), need(g.db, 'db'), { runs, accumulate: acc, label: `${tag}.db` }));
  }
  return out;
}
