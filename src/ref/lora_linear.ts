/**
 * CPU reference for the LoRA linear layer (the spec), float64. PEFT shapes, row-major:
 *   X (N, dIn), W0 (dOut, dIn), b (dOut), A (r, dIn), B (dOut, r), H = XA A^T (N, r), Y (N, dOut)
 * XA is the LoRA path's input: X itself, or dropout(X) (PEFT applies lora_dropout there only).
 *   forward:  Y = X W0^T (+ b) + s H B^T
 *   backward (G = dL/dY): dB = s G^T H,  dH = s G B,  dA = dH^T XA,  dX = G W0 + dH A (through the
 *             dropout mask when XA != X),  and for full fine-tuning dW0 = G^T X,  db = sum_rows G.
 */
import { matmulRef } from './matmul';

export interface LoraShape {
  N: number;
  dIn: number;
  dOut: number;
  r: number;
  scaling: number;
}

export interface LoraTensors {
  X: ArrayLike<number>;
  W0: ArrayLike<number>;
  b?: ArrayLike<number>;
  A: ArrayLike<number>;
  B: ArrayLike<number>;
  XA?: ArrayLike<number>;
}

export function loraLinearForwardRef(sh: LoraShape, t: LoraTensors): { H: Float64Array; Y: Float64Array } {
  const { N, dIn, dOut, r, scaling } = sh;
  const H = matmulRef({ M: N, N: r, K: dIn, transB: true }, t.XA ?? t.X, t.A);
  const base = matmulRef({ M: N, N: dOut, K: dIn, transB: true }, t.X, t.W0, { bias: t.b });
  const Y = matmulRef({ M: N, N: dOut, K: r, transB: true }, H, t.B, { alpha: scaling, accumulate: base });
  return { H, Y };
}

export interface LoraGradsRef {
  dX: Float64Array; // G W0 + dH A
  dXA: Float64Array; // dH A alone (the LoRA path's share, before any dropout mask)
  dH: Float64Array;
  dA: Float64Array;
  dB: Float64Array;
  dW0: Float64Array;
  db: Float64Array;
}

export function loraLinearBackwardRef(sh: LoraShape, t: LoraTensors, G: ArrayLike<number>): LoraGradsRef {
  const { N, dIn, dOut, r, scaling: s } = sh;
  const XA = t.XA ?? t.X;
  const H = matmulRef({ M: N, N: r, K: dIn, transB: true }, XA, t.A);
  const dB = matmulRef({ M: dOut, N: r, K: N, transA: true }, G, H, { alpha: s });
  const dH = matmulRef({ M: N, N: r, K: dOut }, G, t.B, { alpha: s });
  const dA = matmulRef({ M: r, N: dIn, K: N, transA: true }, dH, XA);
  const dXA = matmulRef({ M: N, N: dIn, K: r }, dH, t.A);
  const dX = matmulRef({ M: N, N: dIn, K: dOut }, G, t.W0, { accumulate: dXA });
  const dW0 = matmulRef({ M: dOut, N: dIn, K: N, transA: true }, G, t.X);
  const db = new Float64Array(dOut);
  for (let n = 0; n < N; n++) for (let o = 0; o < dOut; o++) db[o] += G[n * dOut + o];
  return { dX, dXA, dH, dA, dB, dW0, db };
}
