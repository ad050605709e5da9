/**
 * CPU reference for matmul (the spec). float64 accumulation.
 *   C[m, n] = alpha * sum_k op(A)[m, k] op(B)[k, n]  (+ bias[n])  (+ Cin[m, n])
 * Storage, row-major: A (M,K), or (K,M) if transA; B (K,N), or (N,K) if transB; C (M,N); bias (N).
 */
export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
}

export interface MatmulRefOptions {
  alpha?: number;
  bias?: ArrayLike<number>;
  /** Accumulate onto this (M,N) matrix: C = ... + accumulate. */
  accumulate?: ArrayLike<number>;
}

/** op(A)[m, k] read from A's storage. */
export function opA(shape: MatmulShape, a: ArrayLike<number>, m: number, k: number): number {
  return shape.transA ? a[k * shape.M + m] : a[m * shape.K + k];
}

/** op(B)[k, n] read from B's storage. */
export function opB(shape: MatmulShape, b: ArrayLike<number>, k: number, n: number): number {
  return shape.transB ? b[n * shape.K + k] : b[k * shape.N + n];
}

export function matmulRef(shape: MatmulShape, a: ArrayLike<number>, b: ArrayLike<number>, opts: MatmulRefOptions = {}): Float64Array {
  const { M, N, K } = shape;
  const alpha = opts.alpha ?? 1;
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += opA(shape, a, m, k) * opB(shape, b, k, n);
      let v = alpha * s;
      if (opts.bias) v += opts.bias[n];
      if (opts.accumulate) v += opts.accumulate[m * N + n];
      c[m * N + n] = v;
    }
  }
  return c;
}
