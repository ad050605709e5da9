/**
 * Rotary position embedding (the spec of shaders/rope.wgsl), in transformers' rotate_half convention:
 * element j < d/2 of a head pairs with j + d/2, and at position p
 *   x'[j] = x[j] cos - x[j + d/2] sin,   x'[j + d/2] = x[j + d/2] cos + x[j] sin,   angle = p * theta^(-2j/d).
 * The backward pass is the inverse rotation (sign -1): dx = R(-angle) dy.
 * Rows are tokens of sequences of `context` positions laid end to end: row i is at position i % context.
 */

/** cos and sin (context, d/2) of the angles, the angles rounded to float32 as transformers computes them. */
export function ropeTable(context: number, headDim: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const cos = new Float32Array(context * half);
  const sin = new Float32Array(context * half);
  for (let j = 0; j < half; j++) {
    const inv = Math.fround(1 / Math.fround(theta ** Math.fround((2 * j) / headDim)));
    for (let p = 0; p < context; p++) {
      const angle = Math.fround(p * inv);
      cos[p * half + j] = Math.cos(angle);
      sin[p * half + j] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/** x (rows, heads * d) rotated (sign +1) or rotated back (sign -1); returns a new array. */
export function ropeApply(x: ArrayLike<number>, rows: number, heads: number, headDim: number, context: number, table: { cos: ArrayLike<number>; sin: ArrayLike<number> }, sign: 1 | -1 = 1): Float64Array {
  const half = headDim / 2;
  const y = Float64Array.from(x);
  for (let i = 0; i < rows; i++) {
    const p = i % context;
    for (let h = 0; h < heads; h++) {
      const base = (i * heads + h) * headDim;
      for (let j = 0; j < half; j++) {
        const c = table.cos[p * half + j];
        const s = sign * table.sin[p * half + j];
        const a = x[base + j];
        const b = x[base + j + half];
        y[base + j] = a * c - b * s;
        y[base + j + half] = b * c + a * s;
      }
    }
  }
  return y;
}
