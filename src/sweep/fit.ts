/**
 * Least-squares fits used by the sweep analysis: a parabola (the optimum of a loss-vs-log2(lr) curve)
 * and a line (the slope of log2(optimal lr) against log2(rank)). Plain float64, centred on the mean x so
 * that the normal equations stay well conditioned.
 */

export interface Line {
  slope: number;
  intercept: number;
  n: number;
}

/** y = slope x + intercept minimising the squared error; null with fewer than 2 distinct x. */
export function fitLine(xs: readonly number[], ys: readonly number[]): Line | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, n };
}

export interface Parabola {
  /** y = a (x - m)^2 + b (x - m) + c, with m the mean of the fitted x (kept for exact evaluation). */
  a: number;
  b: number;
  c: number;
  m: number;
}

/** Solve the 3x3 system M v = r by Gaussian elimination with partial pivoting; null when singular. */
function solve3(M: number[][], r: number[]): number[] | null {
  const A = M.map((row, i) => [...row, r[i]]);
  for (let col = 0; col < 3; col++) {
    let piv = col;
    for (let i = col + 1; i < 3; i++) if (Math.abs(A[i][col]) > Math.abs(A[piv][col])) piv = i;
    if (Math.abs(A[piv][col]) < 1e-300) return null;
    [A[col], A[piv]] = [A[piv], A[col]];
    for (let i = col + 1; i < 3; i++) {
      const f = A[i][col] / A[col][col];
      for (let j = col; j < 4; j++) A[i][j] -= f * A[col][j];
    }
  }
  const v = [0, 0, 0];
  for (let i = 2; i >= 0; i--) {
    let s = A[i][3];
    for (let j = i + 1; j < 3; j++) s -= A[i][j] * v[j];
    v[i] = s / A[i][i];
  }
  return v;
}

/** The least-squares parabola through the points (exact through 3 points); null with < 3 distinct x. */
export function fitParabola(xs: readonly number[], ys: readonly number[]): Parabola | null {
  const n = xs.length;
  if (n < 3 || new Set(xs).size < 3) return null;
  const m = xs.reduce((a, b) => a + b, 0) / n;
  // Normal equations for the basis [u^2, u, 1], u = x - m.
  const S = [0, 0, 0, 0, 0]; // sums of u^0..u^4
  const T = [0, 0, 0]; // sums of y u^2, y u, y
  for (let i = 0; i < n; i++) {
    const u = xs[i] - m;
    for (let k = 0; k < 5; k++) S[k] += u ** k;
    T[0] += ys[i] * u * u;
    T[1] += ys[i] * u;
    T[2] += ys[i];
  }
  const v = solve3(
    [
      [S[4], S[3], S[2]],
      [S[3], S[2], S[1]],
      [S[2], S[1], S[0]],
    ],
    T,
  );
  return v ? { a: v[0], b: v[1], c: v[2], m } : null;
}

export function parabolaAt(p: Parabola, x: number): number {
  const u = x - p.m;
  return p.a * u * u + p.b * u + p.c;
}

/** The vertex x of an upward parabola (a > 0); null otherwise. */
export function parabolaVertex(p: Parabola): number | null {
  return p.a > 0 ? p.m - p.b / (2 * p.a) : null;
}
