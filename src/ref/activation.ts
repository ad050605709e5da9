/**
 * CPU reference for activations (the spec). float64 throughout.
 * GELU, tanh approximation, as PyTorch gelu(approximate='tanh'):
 *   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
 */
export type Activation = 'gelu_tanh' | 'relu';

const K = Math.sqrt(2 / Math.PI);
const C = 0.044715;

export function act(kind: Activation, x: number): number {
  if (kind === 'relu') return x > 0 ? x : 0;
  return 0.5 * x * (1 + Math.tanh(K * (x + C * x * x * x)));
}

/** Derivative d act / dx (ReLU'(0) = 0, as PyTorch). */
export function dact(kind: Activation, x: number): number {
  if (kind === 'relu') return x > 0 ? 1 : 0;
  const t = Math.tanh(K * (x + C * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K * (1 + 3 * C * x * x);
}

export function activationForward(kind: Activation, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = act(kind, x[i]);
  return y;
}

export function activationBackward(kind: Activation, x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = dy[i] * dact(kind, x[i]);
  return dx;
}
