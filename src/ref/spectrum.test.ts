/**
 * The spectrum routines against matrices whose SVD is known by construction: M = U diag(s) V^T with U, V
 * orthonormalised here by plain Gram-Schmidt (not by the qr under test), and against each other (the
 * cheap low-rank SVD and the randomized top-k against the dense Jacobi SVD).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { effectiveRank, frobenius, lowRankSvd, mat, matmul, principalCosines, qr, svd, topSvd, transpose, type Mat } from './spectrum';

/** A random (m, k) matrix with orthonormal columns: Gaussian columns, modified Gram-Schmidt done twice. */
function orthonormal(m: number, k: number, rng: Rng): Mat {
  const Q = mat(m, k, rng.normals(m * k));
  for (let c = 0; c < k; c++) {
    for (let pass = 0; pass < 2; pass++)
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += Q.data[i * k + p] * Q.data[i * k + c];
        for (let i = 0; i < m; i++) Q.data[i * k + c] -= dot * Q.data[i * k + p];
      }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += Q.data[i * k + c] ** 2;
    for (let i = 0; i < m; i++) Q.data[i * k + c] /= Math.sqrt(norm);
  }
  return Q;
}

/** U diag(s) V^T for random orthonormal U (m, k), V (n, k), k = s.length. */
function withSpectrum(m: number, n: number, s: number[], seed: number): { M: Mat; U: Mat; V: Mat } {
  const rng = new Rng(seed);
  const U = orthonormal(m, s.length, rng);
  const V = orthonormal(n, s.length, rng);
  const US = mat(m, s.length, U.data.map((x, i) => x * s[i % s.length]));
  return { M: matmul(US, transpose(V)), U, V };
}

const cols = (M: Mat, k: number): Mat => mat(M.rows, k, Array.from({ length: M.rows * k }, (_, i) => M.data[Math.floor(i / k) * M.cols + (i % k)]));

function expectOrthonormal(Q: Mat, label: string): void {
  const G = matmul(transpose(Q), Q);
  for (let i = 0; i < Q.cols; i++) for (let j = 0; j < Q.cols; j++) expect(Math.abs(G.data[i * Q.cols + j] - (i === j ? 1 : 0)), `${label} Q^T Q [${i},${j}]`).toBeLessThan(1e-12);
}

function expectReconstructs(M: Mat, f: { U: Mat; sigma: Float64Array; V: Mat }, label: string): void {
  const US = mat(f.U.rows, f.U.cols, f.U.data.map((x, i) => x * f.sigma[i % f.U.cols]));
  const R = matmul(US, transpose(f.V));
  const err = frobenius(R.data.map((x, i) => x - M.data[i]));
  expect(err, `${label}: |U S V^T - M|`).toBeLessThan(1e-12 * Math.max(1, frobenius(M)));
}

function expectSigma(got: ArrayLike<number>, want: number[], rtol: number, label: string): void {
  expect(got.length, `${label} count`).toBe(want.length);
  want.forEach((w, j) => expect(Math.abs(got[j] - w), `${label} sigma[${j}] = ${got[j]}, want ${w}`).toBeLessThanOrEqual(rtol * Math.abs(w) + 1e-13 * want[0]));
}

/** k values from 1 down to `low`, evenly on a log scale. */
const geometric = (k: number, low: number) => Array.from({ length: k }, (_, j) => (k === 1 ? 1 : low ** (j / (k - 1))));

describe('qr', () => {
  it.each([
    ['tall', 9, 4],
    ['square', 6, 6],
    ['wide', 3, 7],
    ['one column', 5, 1],
  ])('%s %ix%i: Q orthonormal, R upper triangular, Q R = M', (_, m, n) => {
    const M = mat(m, n, new Rng(m * 31 + n).normals(m * n));
    const { Q, R } = qr(M);
    expect([Q.rows, Q.cols, R.rows, R.cols]).toEqual([m, Math.min(m, n), Math.min(m, n), n]);
    expectOrthonormal(Q, 'Q');
    for (let i = 0; i < R.rows; i++) for (let j = 0; j < Math.min(i, n); j++) expect(R.data[i * n + j]).toBe(0);
    const QR = matmul(Q, R);
    QR.data.forEach((x, i) => expect(Math.abs(x - M.data[i])).toBeLessThan(1e-13));
  });

  it('keeps Q orthonormal for rank-deficient inputs (a zero matrix, a zero column, repeated columns)', () => {
    const rng = new Rng(5);
    const c = rng.normals(6);
    const repeated = mat(6, 3, Array.from({ length: 18 }, (_, i) => c[Math.floor(i / 3)] * (1 + (i % 3))));
    const zeroCol = mat(6, 3, rng.normals(18).map((x, i) => (i % 3 === 1 ? 0 : x)));
    for (const [label, M] of [['zero', mat(6, 3)], ['zero column', zeroCol], ['repeated', repeated]] as const) {
      const { Q, R } = qr(M);
      expectOrthonormal(Q, label);
      matmul(Q, R).data.forEach((x, i) => expect(Math.abs(x - M.data[i]), label).toBeLessThan(1e-13));
    }
  });
});

describe('svd (one-sided Jacobi)', () => {
  it.each([
    ['tall', 12, 7, geometric(7, 1e-3)],
    ['wide', 7, 12, geometric(7, 1e-3)],
    ['square', 30, 30, geometric(30, 1e-4)],
    ['row', 1, 5, [2.5]],
    ['column', 5, 1, [0.75]],
    ['repeated values', 10, 6, [3, 3, 3, 1, 1, 0.5]],
  ])('%s %ix%i: the known singular values to 1e-9 relative, orthonormal U and V, U S V^T = M', (label, m, n, s) => {
    const { M, U } = withSpectrum(m, n, s, m * 7 + n);
    const f = svd(M);
    expectSigma(f.sigma, s, 1e-9, label);
    expectOrthonormal(f.U, 'U');
    expectOrthonormal(f.V, 'V');
    expectReconstructs(M, f, label);
    // the leading left subspace is the true one where the spectrum has a gap after it
    const gap = s.findIndex((x, j) => j > 0 && x < s[j - 1] * 0.9);
    if (gap > 0) for (const c of principalCosines(cols(f.U, gap), cols(U, gap))) expect(c).toBeGreaterThan(1 - 1e-10);
  });

  it('rank-deficient: the missing values are zero and U is still orthonormal', () => {
    const { M } = withSpectrum(9, 6, [4, 2, 1], 3);
    const f = svd(M);
    expectSigma(f.sigma.slice(0, 3), [4, 2, 1], 1e-9, 'nonzero');
    for (const x of f.sigma.slice(3)) expect(x).toBeLessThan(1e-13);
    expectOrthonormal(f.U, 'U');
    expectReconstructs(M, f, 'rank 3');
    const z = svd(mat(4, 3));
    expect(Array.from(z.sigma)).toEqual([0, 0, 0]);
    expectOrthonormal(z.U, 'U of zero');
  });
});

describe('lowRankSvd: s B A from its factors', () => {
  it.each([
    ['r = 8 of 64x48', 64, 48, 8, 0.5],
    ['r = 1', 20, 30, 1, 2],
    ['square r = 4', 16, 16, 4, 1],
    ['r above the output width', 3, 10, 5, 1],
  ])('%s: the same singular values and subspaces as the dense SVD of s B A', (_, m, n, r, s) => {
    const rng = new Rng(m + 100 * r);
    const B = mat(m, r, rng.normals(m * r));
    const A = mat(r, n, rng.normals(r * n));
    const dense = matmul(B, A);
    dense.data.forEach((_, i) => (dense.data[i] *= s));
    const want = svd(dense);
    const got = lowRankSvd(B, A, s);
    const k = Math.min(m, n, r);
    expectSigma(got.sigma.slice(0, k), Array.from(want.sigma.slice(0, k)), 1e-9, 'sigma');
    for (const x of got.sigma.slice(k)) expect(x).toBeLessThan(1e-12 * want.sigma[0]);
    expectOrthonormal(got.U, 'U');
    expectOrthonormal(got.V, 'V');
    expectReconstructs(dense, got, 'U S V^T = s B A');
    for (const c of principalCosines(cols(got.U, k), cols(want.U, k))) expect(c).toBeGreaterThan(1 - 1e-9);
  });

  it('a known spectrum split unevenly between the factors (B = U S X, A = X^-1 V^T)', () => {
    const s = [5, 2, 0.3];
    const rng = new Rng(11);
    const U = orthonormal(40, 3, rng);
    const V = orthonormal(25, 3, rng);
    // X upper triangular with a unit diagonal, so X^-1 is too: X = I + N, X^-1 = I - N + N^2
    const X = mat(3, 3, [1, 2, -1, 0, 1, 3, 0, 0, 1]);
    const Xi = mat(3, 3, [1, -2, 7, 0, 1, -3, 0, 0, 1]);
    const B = matmul(mat(40, 3, U.data.map((x, i) => x * s[i % 3])), X);
    const A = matmul(Xi, transpose(V));
    const f = lowRankSvd(B, A, 1);
    expectSigma(f.sigma, s, 1e-9, 'sigma');
    expect(principalCosines(f.U, U).every((c) => c > 1 - 1e-10)).toBe(true);
    expect(principalCosines(f.V, V).every((c) => c > 1 - 1e-10)).toBe(true);
  });

  it('a zero B (a fresh adapter): zero values, orthonormal directions', () => {
    const f = lowRankSvd(mat(12, 4), mat(4, 9, new Rng(2).normals(36)), 2);
    expect(Array.from(f.sigma)).toEqual([0, 0, 0, 0]);
    expectOrthonormal(f.U, 'U');
  });
});

describe('topSvd (randomized subspace iteration)', () => {
  it('a geometric spectrum: the top 8 of 60x40 to 1e-9 relative, with their subspaces', () => {
    const s = Array.from({ length: 40 }, (_, j) => 0.8 ** j);
    const { M, U, V } = withSpectrum(60, 40, s, 21);
    const f = topSvd(M, 8, { seed: 3 });
    expectSigma(f.sigma, s.slice(0, 8), 1e-9, 'top 8');
    expect(principalCosines(f.U, cols(U, 8)).every((c) => c > 1 - 1e-9)).toBe(true);
    expect(principalCosines(f.V, cols(V, 8)).every((c) => c > 1 - 1e-9)).toBe(true);
    expect(f.iterations).toBeLessThan(20);
  });

  it('exact when the block spans the whole range, and for a matrix of rank below k', () => {
    const s = geometric(10, 1e-2);
    const { M } = withSpectrum(30, 10, s, 4);
    const full = topSvd(M, 6); // block 12 > 10 columns: the whole range in one pass
    expect(full.iterations).toBe(1);
    expectSigma(full.sigma, s.slice(0, 6), 1e-9, 'whole range');
    const { M: low } = withSpectrum(50, 50, [3, 2, 1], 6);
    const f = topSvd(low, 5);
    expectSigma(f.sigma.slice(0, 3), [3, 2, 1], 1e-9, 'rank 3');
    for (const x of f.sigma.slice(3)) expect(x).toBeLessThan(1e-12);
  });

  it('a flat (Gaussian) spectrum: Ritz values from below, within 1e-3 of the dense SVD in 10 iterations', () => {
    const M = mat(128, 128, new Rng(8).normals(128 * 128));
    const want = svd(M).sigma;
    const f = topSvd(M, 32, { maxIter: 10 });
    f.sigma.forEach((x, j) => {
      expect(x, `sigma[${j}] from below`).toBeLessThanOrEqual(want[j] * (1 + 1e-12));
      expect(Math.abs(x - want[j]) / want[j], `sigma[${j}]`).toBeLessThan(1e-3 * (j < 16 ? 1 : 30));
    });
  });
});

describe('principalCosines', () => {
  /** span(e0, e1) against span(cos a e0 + sin a e2, cos b e1 + sin b e3), rotated into a random frame. */
  function rotatedPair(a: number, b: number, seed: number): [Mat, Mat] {
    const R = orthonormal(10, 10, new Rng(seed));
    const Q1 = mat(10, 2);
    const Q2 = mat(10, 2);
    Q1.data[0 * 2 + 0] = 1;
    Q1.data[1 * 2 + 1] = 1;
    Q2.data[0 * 2 + 0] = Math.cos(a);
    Q2.data[2 * 2 + 0] = Math.sin(a);
    Q2.data[1 * 2 + 1] = Math.cos(b);
    Q2.data[3 * 2 + 1] = Math.sin(b);
    return [matmul(R, Q1), matmul(R, Q2)];
  }

  it.each([
    [0.3, 1.1],
    [0, 0],
    [Math.PI / 2, Math.PI / 2],
    [0.7, 0.2],
  ])('known rotations by %f and %f: cosines of the angles, largest first', (a, b) => {
    const [Q1, Q2] = rotatedPair(a, b, 9);
    const got = principalCosines(Q1, Q2);
    const want = [Math.cos(a), Math.cos(b)].sort((x, y) => y - x);
    got.forEach((c, i) => expect(Math.abs(c - want[i])).toBeLessThan(1e-12));
  });

  it('bases of different sizes: min(k1, k2) values; a subspace inside the other gives all ones', () => {
    const Q = orthonormal(12, 5, new Rng(1));
    expect(principalCosines(cols(Q, 2), Q).map((c) => Math.abs(c - 1) < 1e-12)).toEqual([true, true]);
  });
});

describe('effectiveRank', () => {
  it('k equal values give k, one nonzero gives 1, none gives 0, and uneven ones fall between', () => {
    expect(effectiveRank([2, 2, 2, 2])).toBeCloseTo(4, 12);
    expect(effectiveRank([5, 0, 0, 0])).toBeCloseTo(1, 12);
    expect(effectiveRank([0, 0])).toBe(0);
    // p = (3/4, 1/4): exp(-(0.75 ln 0.75 + 0.25 ln 0.25))
    expect(effectiveRank([3, 1])).toBeCloseTo(Math.exp(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))), 12);
    const e = effectiveRank([4, 2, 1, 0.5]);
    expect(e).toBeGreaterThan(1);
    expect(e).toBeLessThan(4);
  });
});
