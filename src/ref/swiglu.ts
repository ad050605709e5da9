/**
 * The Llama MLP's gate (the spec of shaders/swiglu.wgsl): m = silu(g) * u elementwise, silu(g) = g sigmoid(g).
 * Backward: dg = dm * u * silu'(g), silu'(g) = sigmoid(g) (1 + g (1 - sigmoid(g))); du = dm * silu(g).
 */
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function swigluForward(g: ArrayLike<number>, u: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: g.length }, (_, i) => g[i] * sigmoid(g[i]) * u[i]);
}

export function swigluBackward(g: ArrayLike<number>, u: ArrayLike<number>, dm: ArrayLike<number>): { dg: Float64Array; du: Float64Array } {
  const dg = new Float64Array(g.length);
  const du = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) {
    const s = sigmoid(g[i]);
    dg[i] = dm[i] * u[i] * s * (1 + g[i] * (1 - s));
    du[i] = dm[i] * g[i] * s;
  }
  return { dg, du };
}
