import { describe, expect, it } from 'vitest';
import { argmaxRows, buildTask, lowRankDelta, mlpForward, sigmaSamples, type TaskConfig } from './toy';
import { DEFAULT_CONFIG } from '../config/schema';
import { act } from '../ref/activation';

const small: TaskConfig = { ...DEFAULT_CONFIG, width: 32, layers: 2, dIn: 8, dOut: 5, trueRank: 3, evalSize: 64 };

const variance = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s / a.length;
};

/** Numerical rank of a (rows, cols) matrix by modified Gram-Schmidt on its columns, float64. */
function numericRank(m: Float32Array, rows: number, cols: number, tol = 1e-4): number {
  const basis: Float64Array[] = [];
  let scale = 0;
  for (let i = 0; i < m.length; i++) scale = Math.max(scale, Math.abs(m[i]));
  for (let j = 0; j < cols; j++) {
    const v = Float64Array.from({ length: rows }, (_, i) => m[i * cols + j]);
    for (const q of basis) {
      let d = 0;
      for (let i = 0; i < rows; i++) d += q[i] * v[i];
      for (let i = 0; i < rows; i++) v[i] -= d * q[i];
    }
    const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    if (norm > tol * scale * Math.sqrt(rows)) basis.push(v.map((x) => x / norm));
  }
  return basis.length;
}

/** Mean squared error of the base model on the eval set, divided by sigma2: the loss at step 0. */
function initialLoss(cfg: TaskConfig): number {
  const t = buildTask(cfg);
  const f = mlpForward(t, t.evalX, cfg.evalSize, cfg.activation);
  let s = 0;
  for (let i = 0; i < f.length; i++) s += (f[i] - t.evalY[i]) ** 2;
  return s / f.length / t.sigma2;
}

describe('mlpForward', () => {
  it('computes W_out act(W_1 act(W_in x)) on a hand-checked example', () => {
    // dIn 2, n 2, L 1, dOut 1, two rows (the second exercises a partial block of rows).
    const w = { Win: new Float32Array([1, -1, 0.5, 2]), Ws: [new Float32Array([1, 0, -1, 1])], Wout: new Float32Array([2, -3]) };
    const x = [1, 2, -1, 0.5];
    const f = mlpForward(w, x, 2, 'relu');
    // row 0: h0 = relu([-1, 4.5]) = [0, 4.5]; h1 = relu([0, 4.5]) = [0, 4.5]; f = -13.5
    // row 1: h0 = relu([-1.5, 0.5]) = [0, 0.5]; h1 = [0, 0.5]; f = -1.5
    expect(Array.from(f)).toEqual([-13.5, -1.5]);
    const g = mlpForward(w, x, 2, 'gelu_tanh');
    const h0 = [act('gelu_tanh', -1), act('gelu_tanh', 4.5)];
    const h1 = [act('gelu_tanh', h0[0]), act('gelu_tanh', -h0[0] + h0[1])];
    expect(g[0]).toBeCloseTo(2 * h1[0] - 3 * h1[1], 12);
  });

  it('argmaxRows takes the first maximum', () => {
    expect(Array.from(argmaxRows([1, 3, 3, -1, -2, -0.5], 2, 3))).toEqual([1, 2]);
  });
});

describe('buildTask', () => {
  it('has the PEFT shapes and the stated weight variances', () => {
    const cfg = { ...DEFAULT_CONFIG, layers: 3 };
    const t = buildTask(cfg);
    const n = 128, r = 4;
    expect([t.n, t.L, t.dIn, t.dOut]).toEqual([n, 3, 32, 10]);
    expect(t.Win).toHaveLength(n * 32);
    expect(t.Ws.map((w) => w.length)).toEqual([n * n, n * n, n * n]);
    expect(t.Wout).toHaveLength(10 * n);
    expect(t.U.map((u) => u.length)).toEqual([n * r, n * r, n * r]);
    expect(t.deltas.map((d) => d.length)).toEqual([n * n, n * n, n * n]);
    expect(t.evalX).toHaveLength(512 * 32);
    expect(t.evalY).toHaveLength(512 * 10);
    expect(t.evalLabels).toHaveLength(512);
    // The sample variance of N normal draws has relative standard error sqrt(2/N): allow four.
    const expectVariance = (a: Float32Array, v: number) => expect(Math.abs(variance(a) / v - 1)).toBeLessThan(4 * Math.sqrt(2 / a.length));
    expectVariance(t.Win, 2 / 32);
    expectVariance(t.Ws[2], 2 / n);
    expectVariance(t.Wout, 1 / n);
    expectVariance(t.U[0], 1 / r);
    expectVariance(t.V[1], 2 / n);
  });

  it('is deterministic in the seed; a different seed changes every draw', () => {
    const a = buildTask(small);
    const b = buildTask(small);
    const c = buildTask({ ...small, seed: 2 });
    for (const key of ['Win', 'Wout', 'evalX', 'evalY', 'evalLabels'] as const) expect(a[key]).toEqual(b[key]);
    expect(a.Ws).toEqual(b.Ws);
    expect(a.deltas).toEqual(b.deltas);
    expect(a.sigma2).toBe(b.sigma2);
    for (const key of ['Win', 'Wout', 'evalX', 'evalY'] as const) expect(a[key]).not.toEqual(c[key]);
    expect(a.Ws[0]).not.toEqual(c.Ws[0]);
    expect(a.deltas[1]).not.toEqual(c.deltas[1]);
  });

  it('the base weights, eval inputs and data do not depend on the change (r*, c): common random numbers', () => {
    const a = buildTask(small);
    const b = buildTask({ ...small, trueRank: 7, shift: 1.5 });
    expect(b.Win).toEqual(a.Win);
    expect(b.Ws).toEqual(a.Ws);
    expect(b.Wout).toEqual(a.Wout);
    expect(b.evalX).toEqual(a.evalX);
    expect(b.batchAt(5, 8).x).toEqual(a.batchAt(5, 8).x);
    expect(b.evalY).not.toEqual(a.evalY);
  });

  it('Delta_l = c U V^T has rank r*, and teacher B adds it to W_l', () => {
    const t = buildTask(small);
    const n = small.width, rs = small.trueRank;
    for (let l = 0; l < small.layers; l++) {
      const d = t.deltas[l];
      for (const [i, j] of [[0, 0], [5, 17], [31, 2]]) {
        let s = 0;
        for (let k = 0; k < rs; k++) s += t.U[l][i * rs + k] * t.V[l][j * rs + k];
        expect(d[i * n + j]).toBeCloseTo(small.shift * s, 6);
      }
      expect(numericRank(d, n, n)).toBe(rs);
      expect(t.teacher.Ws[l]).toEqual(t.Ws[l].map((w, i) => w + d[i]));
    }
    expect(t.teacher.Win).toBe(t.Win);
    expect(t.teacher.Wout).toBe(t.Wout);
    expect(numericRank(lowRankDelta(t.U[0], t.V[0], n, rs, 1), n, n)).toBe(rs);
  });

  it.each([
    ['default', DEFAULT_CONFIG],
    ['relu', { ...DEFAULT_CONFIG, activation: 'relu' as const }],
    ['n 64, L 1, r* 1', { ...DEFAULT_CONFIG, width: 64, layers: 1, trueRank: 1 }],
    ['n 32, L 4, r* 16, c 2', { ...DEFAULT_CONFIG, width: 32, layers: 4, trueRank: 16, shift: 2, dOut: 4 }],
  ])('the base model starts at a normalised eval loss of about 1 (%s)', (_, cfg) => {
    const loss = initialLoss(cfg);
    expect(loss).toBeGreaterThan(0.7);
    expect(loss).toBeLessThan(1.3);
  });

  it('sigma2 uses at most 2048 samples, fewer for big models, at least 128', () => {
    expect(sigmaSamples(DEFAULT_CONFIG)).toBe(879);
    expect(sigmaSamples({ width: 16, layers: 1, dIn: 4, dOut: 4 })).toBe(2048);
    expect(sigmaSamples({ width: 1024, layers: 6, dIn: 256, dOut: 256 })).toBe(128);
  });
  // Build time is a speed figure, not a test (timed tests flake on loaded machines): see `npm run bench`.
});

describe('batchAt', () => {
  it('stream mode: a pure function of (seed, step), targets from teacher B, labels its argmax', () => {
    const t = buildTask(small);
    const again = buildTask(small);
    const b = t.batchAt(3, 16);
    expect(b.x).toHaveLength(16 * 8);
    expect(b.y).toHaveLength(16 * 5);
    expect(again.batchAt(3, 16)).toEqual(b); // reproducible after a reload
    expect(t.batchAt(0, 16)).toEqual(again.batchAt(0, 16)); // in any call order
    expect(t.batchAt(4, 16).x).not.toEqual(b.x);
    expect(buildTask({ ...small, seed: 9 }).batchAt(3, 16).x).not.toEqual(b.x);
    expect(t.batchAt(3, 4).x).toEqual(b.x.subarray(0, 4 * 8)); // a smaller batch is a prefix
    expect(b.y).toEqual(Float32Array.from(mlpForward(t.teacher, b.x, 16, small.activation)));
    expect(b.labels).toEqual(argmaxRows(b.y, 16, 5));
    expect(t.batchAt(0, 1).x).toHaveLength(8);
    expect(t.inputsAt(3, 16)).toEqual(b.x);
  });

  it('finite training set: each epoch visits every one of the S examples once, in a new order', () => {
    const S = 12, B = 4;
    const t = buildTask({ ...small, trainSize: S });
    const epoch = (e: number) => Array.from({ length: S / B }, (_, k) => t.batchAt(e * (S / B) + k, B));
    const rowsOf = (bs: ReturnType<typeof epoch>) => bs.flatMap((b) => Array.from({ length: B }, (_, i) => b.x.subarray(i * 8, i * 8 + 8).join(',')));
    const e0 = rowsOf(epoch(0));
    const e1 = rowsOf(epoch(1));
    expect(new Set(e0).size).toBe(S);
    expect([...e1].sort()).toEqual([...e0].sort());
    expect(e1).not.toEqual(e0);
    // Batches that straddle an epoch boundary, and reproducibility from a fresh build.
    const straddle = t.batchAt(1, 7); // positions 7..13 of the sequence
    expect(buildTask({ ...small, trainSize: S }).batchAt(1, 7)).toEqual(straddle);
    expect(t.inputsAt(1, 7)).toEqual(straddle.x);
    expect(rowsOf([t.batchAt(0, 4), t.batchAt(1, 4), t.batchAt(2, 4)]).slice(7)).toEqual(
      Array.from({ length: 5 }, (_, i) => straddle.x.subarray(i * 8, i * 8 + 8).join(',')),
    );
  });
});
