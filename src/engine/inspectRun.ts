/**
 * What is inside a run's adapter (src/engine/inspect.ts's InspectPoint), from its trained tensors as read
 * back from the GPU ('A<i>' (r, dIn), 'B<i>' (dOut, r), 'W<i>' (dOut, dIn), i the module's index in the
 * model description), with the math of src/ref/spectrum.ts:
 *   LoRA:  Delta W = s B A, its r singular values from the factors (QR of B and A^T, SVD of the r x r core);
 *   full:  Delta W = W - W0, its top MAX_SIGMA singular values by randomized subspace iteration;
 *   toy:   the true change Delta_l = c U_l V_l^T (c = shift), its r* singular values, and the agreement:
 *          cosines of the principal angles between the top k = min(r, r*) left singular directions of
 *          Delta W and of Delta_l (full fine-tuning: k = r*).
 * Pure (no GPU): the worker calls it at logged steps, tests call it on tensors they build.
 */
import { scalingFactor, type RunConfig } from '../config/schema';
import { effectiveRank, frobenius, leadingCols, lowRankSvd, mat, matmul, principalCosines, topSvd, transpose, type Mat, type Svd } from '../ref/spectrum';
import { lmModules, type LmTask } from '../tasks/lmTask';
import type { ToyTask } from '../tasks/toy';
import { toyModel } from '../tasks/toyModel';
import type { LoopTask } from './groupTrainer';
import { BASE_DIRECTIONS, MAX_HEAT, MAX_SIGMA, type InspectHeat, type InspectPoint, type ModuleInspect } from './inspect';
import type { LinearModule } from './model';
import type { TensorMap } from './protocol';

/**
 * Subspace iterations for a full fine-tuning update (at most; fewer when the top values settle to
 * FFT_TOL): on a flat 128 x 128 Gaussian spectrum 4 iterations give the top 32 values to 6e-4 relative
 * and the top 4 to 2e-6 (src/ref/spectrum.test.ts); an update with a few large directions (the toy's
 * r* = 4) converges in one or two. ~60 ms for 128 x 128, ~110 ms for 352 x 128 on one core.
 */
export const FFT_ITERATIONS = 4;
export const FFT_TOL = 1e-4;

/** An adapted module of the run's model, its base weight, and the toy task's true change of it. */
export interface InspectedModule {
  index: number;
  module: LinearModule;
  /** Base weight (dOut, dIn), row-major. */
  W0: Float32Array;
  /** The toy task's Delta = shift U V^T: U (dOut, r*), V (dIn, r*), and Delta itself (dOut, dIn). */
  truth?: { U: Float32Array; V: Float32Array; rank: number; shift: number; delta: Float32Array };
  /** The base weight's top BASE_DIRECTIONS left singular vectors (dOut, k), computed at the first inspection. */
  baseU?: Mat;
}

const isLm = (t: LoopTask): t is LmTask => (t as LmTask).kind === 'lm';

/** The run's LoRA-adapted or fully trained modules, in forward order. */
export function inspectedModules(cfg: RunConfig, task: LoopTask): InspectedModule[] {
  if (isLm(task))
    return lmModules(cfg, task.shape)
      .map((module, index) => ({ index, module, W0: task.weights[`${module.name}.weight`] }))
      .filter((m) => m.module.mode !== 'frozen');
  const toy: ToyTask = task;
  const base = [toy.Win, ...toy.Ws, toy.Wout];
  return toyModel(cfg)
    .modules.map((module, index): InspectedModule => {
      // hidden module layers.<l> (index l) is W_l = Ws[l - 1], changed by deltas[l - 1]
      const l = index - 1;
      const hidden = l >= 0 && l < toy.L;
      const rank = hidden ? toy.U[l].length / module.dOut : 0;
      const truth = hidden ? { U: toy.U[l], V: toy.V[l], rank, shift: cfg.shift, delta: toy.deltas[l] } : undefined;
      return { index, module, W0: base[index], truth };
    })
    .filter((m) => m.module.mode !== 'frozen');
}

export interface InspectOptions {
  step: number;
  /** The tensors at the previous inspection of this run (for stepA, stepB). */
  prev?: TensorMap | null;
  /** The module drawn as a heatmap (default: the first adapted one); false: none. */
  heat?: string | false;
  /** How long reading `tensors` back took (the caller measured it). */
  readbackMs?: number;
  /** Modules as inspectedModules returns them (a caller inspecting often computes them once). */
  modules?: InspectedModule[];
}

/** The run's InspectPoint at `opts.step` from its tensors. */
export function inspectRun(cfg: RunConfig, task: LoopTask, tensors: TensorMap, opts: InspectOptions): InspectPoint {
  const began = performance.now();
  const modules = opts.modules ?? inspectedModules(cfg, task);
  const out: ModuleInspect[] = modules.map((m) => inspectModule(cfg, m, tensors, opts.prev ?? null));
  const heatName = opts.heat === undefined ? modules[0]?.module.name : opts.heat;
  const target = heatName === false ? undefined : modules.find((m) => m.module.name === heatName);
  const point: InspectPoint = { step: opts.step, modules: out, readbackMs: opts.readbackMs ?? 0, computeMs: 0 };
  if (target) point.heat = heatOf(cfg, target, tensors);
  point.computeMs = performance.now() - began;
  return point;
}

function tensor(tensors: TensorMap, name: string, size: number, module: string): Float32Array {
  const t = tensors[name];
  if (!t || t.length !== size) throw new Error(`inspect: ${module} needs tensor ${name} of ${size} values, the run has ${t ? t.length : 'none'}`);
  return t;
}

/** The left singular vectors of the true change (dOut, r*), and its singular values. */
function truthSvd(m: InspectedModule): Svd | null {
  const t = m.truth;
  if (!t) return null;
  const { dIn, dOut } = m.module;
  return lowRankSvd(mat(dOut, t.rank, t.U), transpose(mat(dIn, t.rank, t.V)), t.shift);
}

function inspectModule(cfg: RunConfig, m: InspectedModule, tensors: TensorMap, prev: TensorMap | null): ModuleInspect {
  const { name, dIn, dOut, mode } = m.module;
  const truth = truthSvd(m);
  let learned: Svd;
  let info: Omit<ModuleInspect, 'sigma' | 'effRank' | 'module' | 'mode' | 'r'>;
  if (mode === 'lora') {
    const r = cfg.r;
    const A = tensor(tensors, `A${m.index}`, r * dIn, name);
    const B = tensor(tensors, `B${m.index}`, dOut * r, name);
    learned = lowRankSvd(mat(dOut, r, B), mat(r, dIn, A), scalingFactor(cfg));
    const pa = prev?.[`A${m.index}`];
    const pb = prev?.[`B${m.index}`];
    info = {
      normA: frobenius(A),
      normB: frobenius(B),
      // the r values are all of s B A's nonzero spectrum, so they give its Frobenius norm exactly
      normDelta: Math.hypot(...learned.sigma),
      stepA: pa?.length === A.length ? frobenius(A.map((x, i) => x - pa[i])) : undefined,
      stepB: pb?.length === B.length ? frobenius(B.map((x, i) => x - pb[i])) : undefined,
    };
  } else {
    const W = tensor(tensors, `W${m.index}`, dOut * dIn, name);
    const D = mat(dOut, dIn, W.map((x, i) => x - m.W0[i]));
    learned = topSvd(D, MAX_SIGMA, { maxIter: FFT_ITERATIONS, tol: FFT_TOL, seed: cfg.seed });
    info = { normDelta: frobenius(D) };
  }
  const sigma = Array.from(learned.sigma);
  const res: ModuleInspect = { module: name, mode: mode === 'lora' ? 'lora' : 'full', r: mode === 'lora' ? cfg.r : 0, sigma, effRank: effectiveRank(sigma), ...info };
  for (const k of ['stepA', 'stepB'] as const) if (res[k] === undefined) delete res[k];
  res.outsideBase = outsideShare(learned, baseDirections(m, cfg.seed));
  if (truth) {
    res.trueSigma = Array.from(truth.sigma);
    const k = Math.min(sigma.length, truth.sigma.length);
    res.agreement = principalCosines(leadingCols(learned.U, k), leadingCols(truth.U, k));
  }
  return res;
}

/** The base weight's top left singular directions, once per module (the base is frozen). */
function baseDirections(m: InspectedModule, seed: number): Mat {
  if (!m.baseU) {
    const { dIn, dOut } = m.module;
    const k = Math.min(BASE_DIRECTIONS, dIn, dOut);
    m.baseU = leadingCols(topSvd(mat(dOut, dIn, Float64Array.from(m.W0)), k, { maxIter: 8, tol: 1e-6, seed }).U, k);
  }
  return m.baseU;
}

/**
 * 1 - sum_j sigma_j^2 |Q^T u_j|^2 / sum_j sigma_j^2 for the update's singular pairs (u_j, sigma_j) and
 * the base's top directions Q: the share of ||Delta W||_F^2 outside span(Q) (exact for a LoRA update,
 * whose r values are all of it; over the top MAX_SIGMA directions of a full one).
 */
function outsideShare(learned: Svd, Q: Mat): number {
  let total = 0;
  let inside = 0;
  learned.sigma.forEach((sg, j) => {
    const s2 = sg * sg;
    total += s2;
    let proj = 0;
    for (let c = 0; c < Q.cols; c++) {
      let d = 0;
      for (let i = 0; i < Q.rows; i++) d += Q.data[i * Q.cols + c] * learned.U.data[i * learned.U.cols + j];
      proj += d * d;
    }
    inside += s2 * proj;
  });
  return total > 0 ? Math.max(0, 1 - inside / total) : 0;
}

/** The module's update as a dense (dOut, dIn) matrix, block-averaged with the truth on the same grid. */
function heatOf(cfg: RunConfig, m: InspectedModule, tensors: TensorMap): InspectHeat {
  const { name, dIn, dOut } = m.module;
  let delta: Mat;
  if (m.module.mode === 'lora') {
    const r = cfg.r;
    delta = matmul(mat(dOut, r, tensor(tensors, `B${m.index}`, dOut * r, name)), mat(r, dIn, tensor(tensors, `A${m.index}`, r * dIn, name)));
    const s = scalingFactor(cfg);
    for (let i = 0; i < delta.data.length; i++) delta.data[i] *= s;
  } else {
    const W = tensor(tensors, `W${m.index}`, dOut * dIn, name);
    delta = mat(dOut, dIn, W.map((x, i) => x - m.W0[i]));
  }
  const d = blockMeans(delta.data, dOut, dIn, MAX_HEAT);
  const heat: InspectHeat = { module: name, rows: d.rows, cols: d.cols, delta: d.data };
  if (m.truth) heat.truth = blockMeans(m.truth.delta, dOut, dIn, MAX_HEAT).data;
  return heat;
}

/**
 * Means of f x g blocks of a (rows, cols) matrix, f = ceil(rows / max), g = ceil(cols / max), so the
 * result has at most max x max cells; blocks at the bottom and right edges may be smaller.
 */
export function blockMeans(data: ArrayLike<number>, rows: number, cols: number, max: number): { rows: number; cols: number; data: number[] } {
  const f = Math.ceil(rows / max);
  const g = Math.ceil(cols / max);
  const R = Math.ceil(rows / f);
  const C = Math.ceil(cols / g);
  const sum = new Float64Array(R * C);
  const count = new Float64Array(R * C);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const c = Math.floor(i / f) * C + Math.floor(j / g);
      sum[c] += data[i * cols + j];
      count[c]++;
    }
  return { rows: R, cols: C, data: Array.from(sum, (s, c) => s / count[c]) };
}
