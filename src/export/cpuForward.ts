/**
 * Plain CPU forward of an MLP with optional biases and LoRA (float64), the spec of what an exported
 * bundle means: for layer i, y = x W_i^T + b_i + s (x A_i^T) B_i^T, then the activation on every layer
 * but the last. Used by tests to check exports and the PEFT-saved golden adapter without a GPU.
 */
import { act, type Activation } from '../ref/activation';

export interface ForwardLayer {
  W: ArrayLike<number>; // (out, in)
  b?: ArrayLike<number>; // (out)
  lora?: { A: ArrayLike<number>; B: ArrayLike<number>; r: number; s: number }; // A (r, in), B (out, r)
}

/** x (rows, sizes[0]) -> (rows, sizes[last]); sizes[i] -> sizes[i+1] is layer i. */
export function mlpForwardCpu(layers: ForwardLayer[], sizes: number[], activation: Activation, x: ArrayLike<number>, rows: number): Float64Array {
  let cur = Float64Array.from(x);
  layers.forEach((layer, i) => {
    const [k, m] = [sizes[i], sizes[i + 1]];
    const y = new Float64Array(rows * m);
    for (let row = 0; row < rows; row++) {
      const h = new Float64Array(layer.lora?.r ?? 0);
      if (layer.lora) for (let q = 0; q < layer.lora.r; q++) for (let t = 0; t < k; t++) h[q] += cur[row * k + t] * layer.lora.A[q * k + t];
      for (let j = 0; j < m; j++) {
        let acc = layer.b ? layer.b[j] : 0;
        for (let t = 0; t < k; t++) acc += cur[row * k + t] * layer.W[j * k + t];
        if (layer.lora) for (let q = 0; q < layer.lora.r; q++) acc += layer.lora.s * h[q] * layer.lora.B[j * layer.lora.r + q];
        y[row * m + j] = i < layers.length - 1 ? act(activation, acc) : acc;
      }
    }
    cur = y;
  });
  return cur;
}
