/**
 * RMSNorm (the spec of shaders/rmsnorm.wgsl), per row of `dim`: y = w * x * r, r = 1 / sqrt(mean(x^2) + eps),
 * as transformers' LlamaRMSNorm. Backward (w frozen): with g = w * dy,
 * dx_i = r g_i - r^3 x_i mean_j(g_j x_j).
 */
export function rmsNormForward(x: ArrayLike<number>, rows: number, dim: number, w: ArrayLike<number>, eps: number): Float64Array {
  const y = new Float64Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += x[i * dim + j] ** 2;
    const r = 1 / Math.sqrt(ss / dim + eps);
    for (let j = 0; j < dim; j++) y[i * dim + j] = w[j] * x[i * dim + j] * r;
  }
  return y;
}

export function rmsNormBackward(x: ArrayLike<number>, dy: ArrayLike<number>, rows: number, dim: number, w: ArrayLike<number>, eps: number): Float64Array {
  const dx = new Float64Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    let ss = 0;
    let gx = 0;
    for (let j = 0; j < dim; j++) {
      ss += x[i * dim + j] ** 2;
      gx += w[j] * dy[i * dim + j] * x[i * dim + j];
    }
    const r = 1 / Math.sqrt(ss / dim + eps);
    for (let j = 0; j < dim; j++) dx[i * dim + j] = r * w[j] * dy[i * dim + j] - r ** 3 * x[i * dim + j] * (gx / dim);
  }
  return dx;
}
