/** Row-wise argmax of a (rows, cols) row-major matrix; ties go to the lowest index (torch.argmax). */
export function argmaxRows(x: ArrayLike<number>, rows: number, cols: number): Uint32Array {
  const out = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let j = 1; j < cols; j++) if (x[i * cols + j] > x[i * cols + best]) best = j;
    out[i] = best;
  }
  return out;
}
