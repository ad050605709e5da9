/**
 * Synthetic inspection points for tests and for looking at the panel before the worker posts real ones:
 * a LoRA (or full) update that converges on a toy task's rank-r* change the way a healthy run does. The
 * top min(r, r*) singular values approach the truth's (each direction at its own pace), the rest stay
 * near zero, the learned directions turn towards the true ones, B grows from zero while A barely moves,
 * and the heatmap is the (downsampled) update next to the true change. Deterministic for a seed.
 */
import { MAX_SIGMA, type InspectHeat, type InspectPoint, type ModuleInspect } from '../engine/inspect';
import { Rng } from '../rng';

export interface SyntheticInspectOptions {
  steps?: number;
  /** Logged every this many steps. */
  every?: number;
  modules?: string[];
  r?: number;
  trueRank?: number;
  mode?: 'lora' | 'full';
  /** Side of the heatmap grid (0: no heatmap); drawn for the first module. */
  heat?: number;
  /** Whether the truth is known (the toy task) or not (the language model). */
  truth?: boolean;
  seed?: number;
}

/** exp(entropy of sigma / sum sigma): the effective rank as the engine defines it. */
export function effectiveRank(sigma: readonly number[]): number {
  const sum = sigma.reduce((s, x) => s + x, 0);
  if (!(sum > 0)) return 0;
  let h = 0;
  for (const x of sigma) if (x > 0) h -= (x / sum) * Math.log(x / sum);
  return Math.exp(h);
}

function unit(rng: Rng, n: number): number[] {
  const v = Array.from({ length: n }, () => rng.normal());
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** sum_i s_i u_i v_i^T over a g x g grid, plus `noise` x N(0, 1) per cell. */
function lowRank(s: readonly number[], u: number[][], v: number[][], g: number, rng: Rng, noise: number): number[] {
  const out = new Array<number>(g * g).fill(0);
  for (let i = 0; i < g; i++) for (let j = 0; j < g; j++) for (let k = 0; k < s.length; k++) out[i * g + j] += s[k] * u[k][i] * v[k][j];
  if (noise > 0) for (let c = 0; c < out.length; c++) out[c] += noise * rng.normal();
  return out;
}

export function syntheticInspect(o: SyntheticInspectOptions = {}): InspectPoint[] {
  const { steps = 400, every = 20, modules = ['layers.1', 'layers.2'], r = 8, trueRank = 4, mode = 'lora', heat = 32, truth = true, seed = 1 } = o;
  const rng = Rng.stream(seed, 'synthetic-inspect');
  const shapes = modules.map((_, mi) => {
    const scale = 1.6 + 0.3 * mi;
    const trueSigma = Array.from({ length: trueRank }, (_, i) => scale * 0.78 ** i);
    const u = Array.from({ length: trueRank }, () => unit(rng, heat || 1));
    const v = Array.from({ length: trueRank }, () => unit(rng, heat || 1));
    return { trueSigma, u, v, tau: Array.from({ length: Math.max(r, trueRank, MAX_SIGMA) }, (_, i) => (steps / 10) * (1 + 0.5 * i + 0.3 * mi)) };
  });
  const kept = mode === 'lora' ? r : MAX_SIGMA;
  const out: InspectPoint[] = [];
  const prevA = modules.map(() => 0); // the factor norms at the previous inspection, per module
  const prevB = modules.map(() => 0);
  for (let step = every; step <= steps; step += every) {
    const ms = modules.map((module, mi): ModuleInspect => {
      const sh = shapes[mi];
      const p = (i: number) => 1 - Math.exp(-step / sh.tau[i]);
      const top = sh.trueSigma[0];
      // learned: the reachable true directions approach their values; the rest stay a few decades down
      const sigma = Array.from({ length: kept }, (_, i) => (i < trueRank ? sh.trueSigma[i] * p(i) : top * (mode === 'full' ? 0.02 : 0.004) * 0.7 ** (i - trueRank) * p(0)));
      sigma.sort((a, b) => b - a);
      const k = Math.min(mode === 'lora' ? r : trueRank, trueRank);
      const normDelta = Math.hypot(...sigma);
      const normA = mode === 'lora' ? Math.sqrt(r) * (1 + 0.05 * p(0)) : undefined;
      const normB = normA ? normDelta / normA : undefined;
      const m: ModuleInspect = { module, mode, r: mode === 'lora' ? r : 0, sigma, effRank: effectiveRank(sigma), normDelta, normA, normB };
      if (normA !== undefined && normB !== undefined) {
        m.stepA = Math.abs(normA - prevA[mi]) + 0.002 * Math.exp(-step / steps);
        m.stepB = Math.abs(normB - prevB[mi]);
        prevA[mi] = normA;
        prevB[mi] = normB;
      }
      if (truth) {
        m.trueSigma = sh.trueSigma.slice();
        m.agreement = Array.from({ length: k }, (_, i) => Math.min(1, 0.15 + 0.85 * p(i)));
      }
      return m;
    });
    let h: InspectHeat | undefined;
    if (heat > 0) {
      const sh = shapes[0];
      const reach = Math.min(mode === 'lora' ? r : trueRank, trueRank);
      const learned = sh.trueSigma.slice(0, reach).map((s, i) => s * (1 - Math.exp(-step / sh.tau[i])));
      h = {
        module: modules[0],
        rows: heat,
        cols: heat,
        delta: lowRank(learned, sh.u, sh.v, heat, rng, 0.002),
        truth: truth ? lowRank(sh.trueSigma, sh.u, sh.v, heat, rng, 0) : undefined,
      };
    }
    out.push({ step, modules: ms, heat: h, readbackMs: 0.4 + 0.1 * rng.uniform(), computeMs: 0.8 + 0.2 * rng.uniform() });
  }
  return out;
}
