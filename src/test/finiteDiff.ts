/** Central finite differences of a scalar function, in float64: df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / 2h. */
export function numericGrad(f: (x: Float64Array) => number, x0: ArrayLike<number>, h = 1e-5): Float64Array {
  const x = Float64Array.from(x0);
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    x[i] = xi + h;
    const fp = f(x);
    x[i] = xi - h;
    const fm = f(x);
    x[i] = xi;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** A fixed pseudo-random projection so a vector output becomes a scalar loss L = sum(w * y). */
export function projectionWeights(n: number, seed = 1): Float64Array {
  const w = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    w[i] = s / 4294967296 - 0.5;
  }
  return w;
}
