/**
 * The LoRA linear layer on the GPU, composed of matmul dispatches (no WGSL of its own: it reuses the
 * tuned, tiled matmul, and fusing the two products of Y would only save one pass over Y, which at
 * these sizes costs little). Math and shapes as src/ref/lora_linear.ts:
 *   forward:  H = XA A^T;  Y = X W0^T (+ b) + s H B^T
 *   backward: dB = s G^T H;  dH = s G B;  dA = dH^T XA;  dX = G W0 + dH A   (lora)
 *             dW0 = G^T X;  db = G^T 1;  dX = G W0                           (fft: full fine-tuning)
 * XA, the LoRA path's input, is X unless dropout is on; then the caller passes dropout(X) as XA and a
 * separate dXA buffer, which receives dH A alone, to put through the dropout mask into dX itself.
 * `accumulate` adds parameter gradients to what is there (gradient accumulation over micro-batches).
 */
import type { BufferRef, Dispatch } from '../dispatch';
import { matmul } from '../kernels/matmul';
import { uploadF32 } from '../buffers';

export interface LoraLinearShape {
  N: number;
  dIn: number;
  dOut: number;
  r: number;
  scaling: number;
  bias: boolean;
}

export interface LoraLinearBuffers {
  X: BufferRef;
  /** The LoRA path's input when it differs from X (dropout). */
  XA?: BufferRef;
  W0: BufferRef;
  b?: BufferRef;
  A?: BufferRef;
  B?: BufferRef;
  H?: BufferRef;
  Y: BufferRef;
}

export interface LoraLinearGrads {
  G: BufferRef;
  dX?: BufferRef;
  /** With dropout: receives dH A; dX then gets only G W0. */
  dXA?: BufferRef;
  dA?: BufferRef;
  dB?: BufferRef;
  dH?: BufferRef;
  dW0?: BufferRef;
  db?: BufferRef;
}

export type LoraMode = 'lora' | 'fft';

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

/** Forward. In 'fft' mode (or a frozen layer) only Y = X W0^T (+ b). */
export function loraLinearForward(device: GPUDevice, sh: LoraLinearShape, bufs: LoraLinearBuffers, mode: LoraMode): Dispatch[] {
  const { N, dIn, dOut, r, scaling } = sh;
  const out: Dispatch[] = [matmul(device, { M: N, N: dOut, K: dIn, transB: true }, bufs.X, bufs.W0, bufs.Y, { bias: sh.bias ? bufs.b : undefined, label: 'lora.Y0' })];
  if (mode === 'lora') {
    const H = need(bufs.H, 'H');
    out.unshift(matmul(device, { M: N, N: r, K: dIn, transB: true }, bufs.XA ?? bufs.X, need(bufs.A, 'A'), H, { label: 'lora.H' }));
    out.push(matmul(device, { M: N, N: dOut, K: r, transB: true }, H, need(bufs.B, 'B'), bufs.Y, { alpha: scaling, accumulate: true, label: 'lora.Y' }));
  }
  return out;
}

export function loraLinearBackward(
  device: GPUDevice,
  sh: LoraLinearShape,
  bufs: LoraLinearBuffers,
  g: LoraLinearGrads,
  mode: LoraMode,
  opts: { accumulate?: boolean } = {},
): Dispatch[] {
  const { N, dIn, dOut, r, scaling: s } = sh;
  const acc = opts.accumulate ?? false;
  const out: Dispatch[] = [];
  if (mode === 'lora') {
    const dH = need(g.dH, 'dH');
    out.push(matmul(device, { M: dOut, N: r, K: N, transA: true }, g.G, need(bufs.H, 'H'), need(g.dB, 'dB'), { alpha: s, accumulate: acc, label: 'lora.dB' }));
    out.push(matmul(device, { M: N, N: r, K: dOut }, g.G, need(bufs.B, 'B'), dH, { alpha: s, label: 'lora.dH' }));
    out.push(matmul(device, { M: r, N: dIn, K: N, transA: true }, dH, bufs.XA ?? bufs.X, need(g.dA, 'dA'), { accumulate: acc, label: 'lora.dA' }));
    if (g.dX) {
      out.push(matmul(device, { M: N, N: dIn, K: dOut }, g.G, bufs.W0, g.dX, { label: 'lora.dX0' }));
      if (g.dXA) out.push(matmul(device, { M: N, N: dIn, K: r }, dH, need(bufs.A, 'A'), g.dXA, { label: 'lora.dXA' }));
      else out.push(matmul(device, { M: N, N: dIn, K: r }, dH, need(bufs.A, 'A'), g.dX, { accumulate: true, label: 'lora.dX' }));
    }
  } else {
    out.push(matmul(device, { M: dOut, N: dIn, K: N, transA: true }, g.G, bufs.X, need(g.dW0, 'dW0'), { accumulate: acc, label: 'fft.dW0' }));
    if (sh.bias && g.db) out.push(matmul(device, { M: dOut, N: 1, K: N, transA: true }, g.G, ones(device, N), g.db, { accumulate: acc, label: 'fft.db' }));
    if (g.dX) out.push(matmul(device, { M: N, N: dIn, K: dOut }, g.G, bufs.W0, g.dX, { label: 'fft.dX' }));
  }
  return out;
}
