/**
 * Singular values and vectors of the small matrices the "inside the adapter" panel looks at, in plain
 * float64 (the spec; src/engine/inspectRun.ts applies it to a run's weights).
 *   qr:             M = Q R by Householder reflections (thin: Q (m, k) orthonormal, R (k, n), k = min(m, n)).
 *   svd:            M = U diag(sigma) V^T by one-sided (Hestenes) Jacobi: rotate pairs of columns until
 *                   every pair is orthogonal; sigma_j = |column j|. Accurate to a few ulps of sigma_max.
 *   lowRankSvd:     s B A with B (m, r), A (r, n): B = Q_B R_B, A^T = Q_A R_A, so s B A = Q_B (s R_B R_A^T) Q_A^T
 *                   and the SVD of the small core gives U = Q_B U_c, V = Q_A V_c (cost O((m + n) r^2)).
 *   topSvd:         the top k of a dense matrix by randomized subspace iteration (Halko, Martinsson & Tropp 2011).
 *   principalCosines: cos(theta_i) between span(Q1) and span(Q2) = singular values of Q1^T Q2 (Bjorck & Golub 1973).
 *   effectiveRank:  exp(H(p)), p = sigma / sum(sigma) (Roy & Vetterli 2007).
 * Matrices are row-major Float64Array with their shape.
 */
import { Rng } from '../rng';

export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array; // (rows, cols) row-major
}

export interface Svd {
  U: Mat; // (m, k) orthonormal columns
  sigma: Float64Array; // (k) descending, >= 0
  V: Mat; // (n, k) orthonormal columns
}

export const mat = (rows: number, cols: number, data: ArrayLike<number> = new Float64Array(rows * cols)): Mat => {
  if (data.length !== rows * cols) throw new Error(`mat: ${data.length} values for a ${rows}x${cols} matrix`);
  return { rows, cols, data: Float64Array.from(data) };
};

export function transpose(M: Mat): Mat {
  const T = mat(M.cols, M.rows);
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.cols; j++) T.data[j * M.rows + i] = M.data[i * M.cols + j];
  return T;
}

/** C = A B. */
export function matmul(A: Mat, B: Mat): Mat {
  if (A.cols !== B.rows) throw new Error(`matmul: ${A.rows}x${A.cols} times ${B.rows}x${B.cols}`);
  const C = mat(A.rows, B.cols);
  for (let i = 0; i < A.rows; i++)
    for (let k = 0; k < A.cols; k++) {
      const a = A.data[i * A.cols + k];
      if (a === 0) continue;
      for (let j = 0; j < B.cols; j++) C.data[i * B.cols + j] += a * B.data[k * B.cols + j];
    }
  return C;
}

/** The first `k` columns of M. */
export function leadingCols(M: Mat, k: number): Mat {
  const out = mat(M.rows, k);
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < k; j++) out.data[i * k + j] = M.data[i * M.cols + j];
  return out;
}

export function frobenius(M: Mat | ArrayLike<number>): number {
  const d = 'data' in M ? M.data : M;
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i] * d[i];
  return Math.sqrt(s);
}

/**
 * Thin QR by Householder reflections H_j = I - 2 v v^T / (v^T v), j = 0..k-1: R = H_{k-1} .. H_0 M and
 * Q = H_0 .. H_{k-1} [I_k; 0]. A column that is already zero below the diagonal gets no reflection, so a
 * rank-deficient M (a zero B at initialisation) still gives an orthonormal Q.
 */
export function qr(M: Mat): { Q: Mat; R: Mat } {
  const { rows: m, cols: n } = M;
  const k = Math.min(m, n);
  // columns of M (becoming R) and of Q, each its own contiguous vector
  const a = Array.from({ length: n }, (_, j) => Float64Array.from({ length: m }, (_, i) => M.data[i * n + j]));
  /** Apply H = I - 2 v v^T / (v^T v), v living in rows j..m-1, to column x. */
  const reflect = (v: Float64Array, vv: number, j: number, x: Float64Array) => {
    let dot = 0;
    for (let i = j; i < m; i++) dot += v[i - j] * x[i];
    const f = (2 * dot) / vv;
    for (let i = j; i < m; i++) x[i] -= f * v[i - j];
  };
  const vs: { v: Float64Array; vv: number }[] = [];
  for (let j = 0; j < k; j++) {
    const x = a[j];
    let norm = 0;
    for (let i = j; i < m; i++) norm += x[i] * x[i];
    norm = Math.sqrt(norm);
    // v = x - alpha e_j with alpha = -sign(x_j) |x| (no cancellation in v_0)
    const v = x.slice(j);
    v[0] -= x[j] >= 0 ? -norm : norm;
    const vv = v.reduce((s, y) => s + y * y, 0);
    vs.push({ v, vv });
    if (norm === 0 || vv === 0) continue;
    for (let c = j; c < n; c++) reflect(v, vv, j, a[c]);
  }
  // Q = H_0 .. H_{k-1} applied to the first k columns of the identity, last reflection first
  const q = Array.from({ length: k }, (_, c) => Float64Array.from({ length: m }, (_, i) => (i === c ? 1 : 0)));
  for (let j = k - 1; j >= 0; j--) {
    const { v, vv } = vs[j];
    if (vv === 0) continue;
    for (let c = j; c < k; c++) reflect(v, vv, j, q[c]);
  }
  const Q = mat(m, k);
  for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) Q.data[i * k + c] = q[c][i];
  const R = mat(k, n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) R.data[i * n + c] = a[c][i];
  return { Q, R };
}

const EPS = 2 ** -52;

/**
 * Thin SVD by one-sided Jacobi. For m >= n the columns of W = M V are rotated pairwise, each rotation
 * making one pair orthogonal, until a sweep finds every pair orthogonal to |w_p . w_q| <= eps |w_p| |w_q|;
 * then sigma_j = |w_j|, u_j = w_j / sigma_j. A wide M is done as M^T. Columns of U whose sigma is zero (to
 * rounding) are completed to an orthonormal set, so U is orthonormal for rank-deficient inputs too.
 */
export function svd(M: Mat): Svd {
  if (M.rows < M.cols) {
    const t = svd(transpose(M));
    return { U: t.V, sigma: t.sigma, V: t.U };
  }
  const { rows: m, cols: n } = M;
  // the columns of W = M V and of V, each its own contiguous vector
  const w = Array.from({ length: n }, (_, j) => Float64Array.from({ length: m }, (_, i) => M.data[i * n + j]));
  const v = Array.from({ length: n }, (_, j) => Float64Array.from({ length: n }, (_, i) => (i === j ? 1 : 0)));
  const rotate = (a: Float64Array, b: Float64Array, c: number, s: number) => {
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const y = b[i];
      a[i] = c * x - s * y;
      b[i] = s * x + c * y;
    }
  };
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const wp = w[p];
        const wq = w[q];
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < m; i++) {
          alpha += wp[i] * wp[i];
          beta += wq[i] * wq[i];
          gamma += wp[i] * wq[i];
        }
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
        // the rotation angle that zeroes the pair's inner product: tan(2 theta) = 2 gamma / (beta - alpha)
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        rotate(wp, wq, c, c * t);
        rotate(v[p], v[q], c, c * t);
        rotated = true;
      }
    if (!rotated) break;
  }
  const norms = w.map((x) => Math.sqrt(x.reduce((a, y) => a + y * y, 0)));
  const order = norms.map((_, j) => j).sort((a, b) => norms[b] - norms[a]);
  const sigma = Float64Array.from(order, (j) => norms[j]);
  const U = mat(m, n);
  const V = mat(n, n);
  const tiny = Math.max(m, n) * EPS * (sigma[0] ?? 0);
  order.forEach((j, k) => {
    for (let i = 0; i < n; i++) V.data[i * n + k] = v[j][i];
    if (sigma[k] > tiny) for (let i = 0; i < m; i++) U.data[i * n + k] = w[j][i] / sigma[k];
  });
  completeColumns(U, sigma.findIndex((s) => !(s > tiny)));
  return { U, sigma, V };
}

/**
 * Replace columns from..cols-1 of Q (the first `from` orthonormal) by unit vectors orthogonal to all the
 * columns before them: standard basis vectors, Gram-Schmidt twice (reorthogonalisation), taken when
 * more than half of their length survives. from < 0: nothing to do.
 */
function completeColumns(Q: Mat, from: number): void {
  if (from < 0) return;
  const { rows: m, cols: k } = Q;
  let e = 0;
  for (let c = from; c < k; c++) {
    for (; e < m; e++) {
      const v = new Float64Array(m);
      v[e] = 1;
      for (let pass = 0; pass < 2; pass++)
        for (let p = 0; p < c; p++) {
          let dot = 0;
          for (let i = 0; i < m; i++) dot += Q.data[i * k + p] * v[i];
          for (let i = 0; i < m; i++) v[i] -= dot * Q.data[i * k + p];
        }
      const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
      if (norm > 0.5) {
        for (let i = 0; i < m; i++) Q.data[i * k + c] = v[i] / norm;
        e++;
        break;
      }
    }
  }
}

/**
 * SVD of s B A (B (m, r), A (r, n)) from its factors: QR of B and of A^T, then the SVD of the core
 * s R_B R_A^T (at most r x r). The min(m, n, r) singular values are those of s B A exactly (in exact
 * arithmetic): Q_B and Q_A have orthonormal columns, so they change no singular value.
 */
export function lowRankSvd(B: Mat, A: Mat, s = 1): Svd {
  if (B.cols !== A.rows) throw new Error(`lowRankSvd: B is ${B.rows}x${B.cols}, A is ${A.rows}x${A.cols}`);
  const qb = qr(B);
  const qa = qr(transpose(A));
  const core = matmul(qb.R, transpose(qa.R));
  for (let i = 0; i < core.data.length; i++) core.data[i] *= s;
  const c = svd(core);
  return { U: matmul(qb.Q, c.U), sigma: c.sigma, V: matmul(qa.Q, c.V) };
}

export interface TopSvdOptions {
  /** Extra directions iterated beside the k wanted (default k: the block is 2k wide, capped by the shape). */
  oversample?: number;
  /** Stop when no top-k value moved by more than tol * itself in one iteration (default 1e-12). */
  tol?: number;
  maxIter?: number;
  seed?: number;
}

/**
 * The top k singular triplets of a dense M (m, n) by randomized subspace iteration: Q = orth(M Omega) with
 * a seeded Gaussian Omega (n, l), l = min(k + oversample, m, n); then repeatedly M^T Q = Q_z R_z,
 * Q = orth(M Q_z). Since Q^T M = R_z^T Q_z^T, the SVD of the small R_z^T = U_r S V_r^T gives the Ritz
 * triplets U = Q U_r, sigma = S, V = Q_z V_r. Each iteration shrinks the error of sigma_j by about
 * (sigma_{l+1} / sigma_j)^2; the Ritz values approach the true ones from below. When l = min(m, n) the
 * block spans the whole range and one pass is exact.
 */
export function topSvd(M: Mat, k: number, opts: TopSvdOptions = {}): Svd & { iterations: number } {
  const { rows: m, cols: n } = M;
  const kk = Math.min(k, m, n);
  if (kk <= 0) return { U: mat(m, 0), sigma: new Float64Array(0), V: mat(n, 0), iterations: 0 };
  const l = Math.min(kk + (opts.oversample ?? kk), m, n);
  const tol = opts.tol ?? 1e-12;
  const maxIter = opts.maxIter ?? 50;
  const Mt = transpose(M);
  let Q = qr(matmul(M, mat(n, l, Rng.stream(opts.seed ?? 0, 'spectrum/omega').normals(n * l)))).Q;
  let prev: Float64Array | null = null;
  for (let it = 1; ; it++) {
    const z = qr(matmul(Mt, Q));
    const r = svd(transpose(z.R));
    const moved = prev === null ? Infinity : Math.max(...Array.from({ length: kk }, (_, j) => Math.abs(r.sigma[j] - prev![j]) / Math.max(r.sigma[j], 1e-300)));
    if (l === Math.min(m, n) || moved <= tol || it >= maxIter) {
      return { U: leadingCols(matmul(Q, r.U), kk), sigma: r.sigma.slice(0, kk), V: leadingCols(matmul(z.Q, r.V), kk), iterations: it };
    }
    prev = r.sigma;
    Q = qr(matmul(M, z.Q)).Q;
  }
}

/**
 * Cosines of the principal angles between span(Q1) and span(Q2) (orthonormal columns, same row count),
 * largest first: the singular values of Q1^T Q2, clamped to [0, 1] against rounding. min(k1, k2) values.
 */
export function principalCosines(Q1: Mat, Q2: Mat): number[] {
  if (Q1.rows !== Q2.rows) throw new Error(`principalCosines: bases of ${Q1.rows} and ${Q2.rows} rows`);
  const k = Math.min(Q1.cols, Q2.cols);
  if (k === 0) return [];
  return Array.from(svd(matmul(transpose(Q1), Q2)).sigma.slice(0, k), (c) => Math.min(1, Math.max(0, c)));
}

/**
 * exp(entropy of p = sigma / sum sigma): 1 for one nonzero value, k for k equal values, between for
 * uneven spectra. An all-zero spectrum (no update yet) has effective rank 0.
 */
export function effectiveRank(sigma: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < sigma.length; i++) sum += Math.abs(sigma[i]);
  if (!(sum > 0)) return 0;
  let h = 0;
  for (let i = 0; i < sigma.length; i++) {
    const p = Math.abs(sigma[i]) / sum;
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.exp(h);
}
