/**
 * The default toy task, "low-rank shift" teacher-student (../shared/research/TOY_TASK.md).
 *   base = teacher A:  h0 = act(W_in x),  h_l = act(W_l h_{l-1}) (l = 1..L),  f = W_out h_L,  no biases
 *     W_in (n, dIn) ~ N(0, 2/dIn),  W_l (n, n) ~ N(0, 2/n),  W_out (dOut, n) ~ N(0, 1/n),  x ~ N(0, I)
 *   target = teacher B: the same with W_l + Delta_l,  Delta_l = c U_l V_l^T,
 *     U_l (n, r*) ~ N(0, 1/r*),  V_l (n, r*) ~ N(0, 2/n)
 *   sigma2 = E[(f_A(x) - f_B(x))^2] over outputs, estimated once; the MSE loss is divided by it so the
 *   base model starts at a loss of about 1.
 * Every draw comes from Rng.stream(seed, name), one name per purpose, so the base weights do not depend
 * on r* or c, the data does not depend on the weights, and every run of a sweep with the same seed sees
 * the same model and data (common random numbers).
 * Weights are row-major in PyTorch nn.Linear layout (out, in). Ws[i] is W_{i+1} (module `layers.<i+1>`).
 */
import type { RunConfig } from '../config/schema';
import { act, type Activation } from '../ref/activation';
import { Rng } from '../rng';
import { argmaxRows } from '../ref/argmax';

export type TaskConfig = Pick<
  RunConfig,
  'width' | 'layers' | 'dIn' | 'dOut' | 'trueRank' | 'shift' | 'activation' | 'trainSize' | 'evalSize' | 'seed'
>;

export interface MlpWeights {
  Win: Float32Array; // (n, dIn)
  Ws: Float32Array[]; // L x (n, n)
  Wout: Float32Array; // (dOut, n)
}

export interface Batch {
  x: Float32Array; // (B, dIn)
  y: Float32Array; // (B, dOut) teacher B outputs (MSE targets)
  labels: Uint32Array; // (B) argmax of teacher B outputs (cross-entropy targets)
}

export interface ToyTask extends MlpWeights {
  n: number;
  L: number;
  dIn: number;
  dOut: number;
  activation: Activation;
  /** Teacher B: Win and Wout shared with the base, Ws[i] = f32(base Ws[i] + deltas[i]). */
  teacher: MlpWeights;
  U: Float32Array[]; // L x (n, r*)
  V: Float32Array[]; // L x (n, r*)
  deltas: Float32Array[]; // L x (n, n) = c U V^T
  sigma2: number;
  evalX: Float32Array; // (E, dIn)
  evalY: Float32Array; // (E, dOut)
  evalLabels: Uint32Array; // (E)
  /**
   * Micro-batch number `step` (count micro-batches, not optimizer steps, when accumulating): a pure
   * function of (seed, step, batchSize). Stream mode draws fresh inputs; with a finite training set
   * of S examples, positions step*B .. step*B+B-1 of a sequence of per-epoch seeded permutations.
   */
  batchAt(step: number, batchSize: number): Batch;
  /**
   * The inputs of batchAt(step, batchSize) without the CPU targets: for an engine that runs teacher B
   * on the GPU (the CPU teacher costs ~40k multiply-adds per example at the default sizes, ~6M at
   * n = 1024, L = 6).
   */
  inputsAt(step: number, batchSize: number): Float32Array;
}

/**
 * Samples used to estimate sigma2: as many as fit in about 2^25 multiply-adds per teacher (879 at the
 * default sizes, a few percent of sampling error), at least 128 and at most 2048, so that building the
 * task stays fast in the page. Deterministic in the sizes.
 */
export function sigmaSamples(cfg: Pick<TaskConfig, 'width' | 'layers' | 'dIn' | 'dOut'>): number {
  const { width: n, layers: L, dIn, dOut } = cfg;
  const macs = n * dIn + L * n * n + dOut * n;
  return Math.max(128, Math.min(2048, Math.floor(2 ** 25 / macs)));
}

/**
 * Plain CPU forward of the MLP (float64 accumulation): x (rows, dIn) -> f (rows, dOut).
 * Sizes are inferred: dIn = x.length / rows, n = Win.length / dIn, dOut = Wout.length / n.
 */
export function mlpForward(w: MlpWeights | MlpWeights64, x: ArrayLike<number>, rows: number, activation: Activation): Float64Array {
  const w64 = toF64(w);
  const dIn = x.length / rows;
  const n = w64.Win.length / dIn;
  const dOut = w64.Wout.length / n;
  // Monomorphic Float64Array loops: mixing f32 and f64 arrays in one loop makes V8 several times slower.
  let h = linear(Float64Array.from(x), w64.Win, rows, dIn, n, activation);
  for (const W of w64.Ws) h = linear(h, W, rows, n, n, activation);
  return linear(h, w64.Wout, rows, n, dOut, null);
}

/** Weights as Float64Array, converted once and reused by every batch's forward. */
export interface MlpWeights64 {
  Win: Float64Array;
  Ws: Float64Array[];
  Wout: Float64Array;
}

function toF64(w: MlpWeights | MlpWeights64): MlpWeights64 {
  if (w.Win instanceof Float64Array) return w as MlpWeights64;
  return { Win: Float64Array.from(w.Win), Ws: w.Ws.map((W) => Float64Array.from(W)), Wout: Float64Array.from(w.Wout) };
}

/** y = act(x W^T): x (rows, k), W (m, k) -> (rows, m). null = no activation. */
function linear(x: Float64Array, W: Float64Array, rows: number, k: number, m: number, activation: Activation | null): Float64Array {
  const y = new Float64Array(rows * m);
  // Four rows of x per row of W: each weight is loaded once per four products (~1.5x faster in V8).
  for (let i = 0; i < rows; i += 4) {
    const nr = Math.min(4, rows - i);
    const a = i * k, b = a + (nr > 1 ? k : 0), c = a + (nr > 2 ? 2 * k : 0), d = a + (nr > 3 ? 3 * k : 0);
    for (let j = 0; j < m; j++) {
      const wo = j * k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < k; t++) {
        const w = W[wo + t];
        s0 += x[a + t] * w;
        s1 += x[b + t] * w;
        s2 += x[c + t] * w;
        s3 += x[d + t] * w;
      }
      const o = i * m + j;
      y[o] = s0;
      if (nr > 1) y[o + m] = s1;
      if (nr > 2) y[o + 2 * m] = s2;
      if (nr > 3) y[o + 3 * m] = s3;
    }
  }
  if (activation !== null) for (let i = 0; i < y.length; i++) y[i] = act(activation, y[i]);
  return y;
}

export { argmaxRows };

/** Delta = c U V^T: U, V (n, r) -> (n, n), float64 accumulation then rounded to f32. */
export function lowRankDelta(U: Float32Array, V: Float32Array, n: number, r: number, c: number): Float32Array {
  const d = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += U[i * r + k] * V[j * r + k];
      d[i * n + j] = c * s;
    }
  return d;
}

export function buildTask(cfg: TaskConfig): ToyTask {
  const { width: n, layers: L, dIn, dOut, trueRank: rs, shift: c, activation, seed } = cfg;
  const draw = (name: string, count: number, variance: number) => Rng.stream(seed, `task/${name}`).normals(count, Math.sqrt(variance));

  const Win = draw('Win', n * dIn, 2 / dIn);
  const Ws = Array.from({ length: L }, (_, i) => draw(`W${i + 1}`, n * n, 2 / n));
  const Wout = draw('Wout', dOut * n, 1 / n);
  const U = Array.from({ length: L }, (_, i) => draw(`U${i + 1}`, n * rs, 1 / rs));
  const V = Array.from({ length: L }, (_, i) => draw(`V${i + 1}`, n * rs, 2 / n));
  const deltas = U.map((u, i) => lowRankDelta(u, V[i], n, rs, c));
  const teacher: MlpWeights = { Win, Wout, Ws: Ws.map((W, i) => W.map((w, j) => w + deltas[i][j])) };
  const base: MlpWeights = { Win, Ws, Wout };
  const base64 = toF64(base);
  const teacher64 = toF64(teacher);

  // sigma2 on its own samples, not on the eval set, so the eval loss is an unbiased read of it.
  const m = sigmaSamples(cfg);
  const sx = Rng.stream(seed, 'task/sigma').normals(m * dIn);
  const fA = mlpForward(base64, sx, m, activation);
  const fB = mlpForward(teacher64, sx, m, activation);
  let sq = 0;
  for (let i = 0; i < fA.length; i++) sq += (fA[i] - fB[i]) ** 2;
  const sigma2 = sq / fA.length;

  const targets = (x: Float32Array, rows: number): Batch => {
    const f = mlpForward(teacher64, x, rows, activation);
    return { x, y: Float32Array.from(f), labels: argmaxRows(f, rows, dOut) };
  };
  const evalSet = targets(Rng.stream(seed, 'task/eval').normals(cfg.evalSize * dIn), cfg.evalSize);

  const S = cfg.trainSize;
  const perms = new Map<number, Uint32Array>(); // epoch -> permutation of 0..S-1 (the last few kept)
  const permutation = (epoch: number): Uint32Array => {
    let p = perms.get(epoch);
    if (p) return p;
    p = new Uint32Array(S);
    for (let i = 0; i < S; i++) p[i] = i;
    const rng = Rng.stream(seed, `epoch/${epoch}`);
    for (let i = S - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
    if (perms.size >= 4) perms.delete(perms.keys().next().value!);
    perms.set(epoch, p);
    return p;
  };

  const inputsAt = (step: number, batchSize: number): Float32Array => {
    if (S === 0) return Rng.stream(seed, `data/${step}`).normals(batchSize * dIn);
    // Example i of the training set is a pure function of (seed, i), so the set is never stored.
    const x = new Float32Array(batchSize * dIn);
    for (let b = 0; b < batchSize; b++) {
      const pos = step * batchSize + b;
      const i = permutation(Math.floor(pos / S))[pos % S];
      x.set(Rng.stream(seed, `train/${i}`).normals(dIn), b * dIn);
    }
    return x;
  };
  const batchAt = (step: number, batchSize: number): Batch => targets(inputsAt(step, batchSize), batchSize);

  return {
    n, L, dIn, dOut, activation, Win, Ws, Wout, teacher, U, V, deltas, sigma2,
    evalX: evalSet.x, evalY: evalSet.y, evalLabels: evalSet.labels, inputsAt, batchAt,
  };
}
