/**
 * inspectRun on tensors built here: an adapter that is exactly the toy's true change shows the truth's
 * spectrum and full agreement, a random one does not; full fine-tuning to W0 + Delta shows the truth's
 * spectrum; norms, steps, heatmaps and the language model's modules.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, scalingFactor, type RunConfig } from '../config/schema';
import { Rng } from '../rng';
import { effectiveRank, frobenius, lowRankSvd, mat, svd, transpose } from '../ref/spectrum';
import { buildTask } from '../tasks/toy';
import type { LmTask } from '../tasks/lmTask';
import { randomBase, SMALL } from '../test/lmRun';
import { blockMeans, inspectedModules, inspectRun } from './inspectRun';
import { MAX_SIGMA } from './inspect';
import type { TensorMap } from './protocol';

const TOY: RunConfig = { ...DEFAULT_CONFIG, width: 32, layers: 2, dIn: 8, dOut: 5, trueRank: 3, evalSize: 16, r: 4, lora_alpha: 8 };
const task = buildTask(TOY);
const n = TOY.width;
const rs = TOY.trueRank;

/** LoRA factors with s B A = Delta_l: B = [U, 0] (n, r), A = [c V^T / s; 0] (r, n). */
function exactAdapter(cfg: RunConfig, keep = rs): TensorMap {
  const s = scalingFactor(cfg);
  const out: TensorMap = {};
  for (const l of cfg.targets) {
    // the truth's top `keep` directions: Delta = U_t S V_t^T, B = U_t[:, :keep], A = S V_t^T / s
    const t = lowRankSvd(mat(n, rs, task.U[l - 1]), transpose(mat(n, rs, task.V[l - 1])), cfg.shift);
    const B = new Float32Array(n * cfg.r);
    const A = new Float32Array(cfg.r * n);
    for (let k = 0; k < keep; k++)
      for (let i = 0; i < n; i++) {
        B[i * cfg.r + k] = t.U.data[i * rs + k];
        A[k * n + i] = (t.sigma[k] * t.V.data[i * rs + k]) / s;
      }
    out[`A${l}`] = A;
    out[`B${l}`] = B;
  }
  return out;
}

function randomAdapter(cfg: RunConfig, seed: number): TensorMap {
  const rng = new Rng(seed);
  return Object.fromEntries(cfg.targets.flatMap((l) => [[`A${l}`, rng.normals(cfg.r * n, 0.1)], [`B${l}`, rng.normals(n * cfg.r, 0.1)]]));
}

const close = (got: number[], want: number[], rtol: number) => want.forEach((w, i) => expect(Math.abs(got[i] - w), `[${i}] ${got[i]} vs ${w}`).toBeLessThanOrEqual(rtol * Math.abs(w)));

describe('inspectRun on the toy task', () => {
  it('an adapter built as the exact truth: its spectrum is the true one, the rest zero, agreement all 1', () => {
    const p = inspectRun(TOY, task, exactAdapter(TOY), { step: 7 });
    expect(p.step).toBe(7);
    expect(p.modules.map((m) => m.module)).toEqual(['layers.1', 'layers.2']);
    for (const m of p.modules) {
      expect(m.mode).toBe('lora');
      expect(m.r).toBe(4);
      expect(m.sigma).toHaveLength(4);
      expect(m.trueSigma).toHaveLength(3);
      close(m.sigma.slice(0, 3), m.trueSigma!, 1e-5);
      expect(m.sigma[3]).toBeLessThan(1e-6 * m.sigma[0]);
      expect(m.agreement).toHaveLength(3);
      for (const c of m.agreement!) expect(c).toBeGreaterThan(1 - 1e-6);
      expect(m.effRank).toBeCloseTo(effectiveRank(m.trueSigma!), 5);
      expect(m.normDelta).toBeCloseTo(frobenius(task.deltas[Number(m.module.split('.')[1]) - 1]), 4);
    }
  });

  it('a random adapter agrees far less with the truth', () => {
    const p = inspectRun(TOY, task, randomAdapter(TOY, 3), { step: 1 });
    for (const m of p.modules) {
      const mean = m.agreement!.reduce((a, c) => a + c, 0) / m.agreement!.length;
      expect(mean, m.module).toBeLessThan(0.7);
      expect(m.effRank).toBeGreaterThan(1);
    }
  });

  it('a rank-2 adapter holding the truth top 2 directions: agreement 1 on both, their values match', () => {
    const cfg = { ...TOY, r: 2, lora_alpha: 2 };
    const m = inspectRun(cfg, task, exactAdapter(cfg, 2), { step: 1 }).modules[0];
    expect(m.agreement).toHaveLength(2);
    for (const c of m.agreement!) expect(c).toBeGreaterThan(1 - 1e-6);
    close(m.sigma, m.trueSigma!.slice(0, 2), 1e-5);
  });

  it('full fine-tuning to W = W0 + Delta: the truth spectrum, then zeros, and full agreement', () => {
    const cfg: RunConfig = { ...TOY, mode: 'fft' };
    const tensors: TensorMap = { W1: task.teacher.Ws[0], W2: task.teacher.Ws[1] };
    const p = inspectRun(cfg, task, tensors, { step: 3 });
    for (const m of p.modules) {
      expect(m.mode).toBe('full');
      expect(m.r).toBe(0);
      expect(m.sigma).toHaveLength(Math.min(MAX_SIGMA, n));
      close(m.sigma.slice(0, 3), m.trueSigma!, 1e-5);
      // f32 rounding of W0 + Delta leaves values of order 1e-7 * |W|
      expect(m.sigma[3]).toBeLessThan(1e-5 * m.sigma[0]);
      for (const c of m.agreement!) expect(c).toBeGreaterThan(1 - 1e-6);
      expect(m.normA).toBeUndefined();
    }
  });

  it('a fresh adapter (B = 0): zero spectrum, effective rank 0, agreement still defined', () => {
    const t = randomAdapter(TOY, 5);
    t.B1.fill(0);
    t.B2.fill(0);
    const m = inspectRun(TOY, task, t, { step: 0 }).modules[0];
    expect(m.sigma).toEqual([0, 0, 0, 0]);
    expect(m.effRank).toBe(0);
    expect(m.normB).toBe(0);
    expect(m.normDelta).toBe(0);
    for (const c of m.agreement!) expect(c >= 0 && c <= 1).toBe(true);
  });

  it('norms of the factors, and their steps since the previous tensors', () => {
    const a = randomAdapter(TOY, 1);
    const b = randomAdapter(TOY, 2);
    const first = inspectRun(TOY, task, a, { step: 1 }).modules[0];
    expect(first.stepA).toBeUndefined();
    expect(first.normA).toBeCloseTo(frobenius(a.A1), 10);
    expect(first.normB).toBeCloseTo(frobenius(a.B1), 10);
    const next = inspectRun(TOY, task, b, { step: 2, prev: a }).modules[0];
    expect(next.stepA).toBeCloseTo(frobenius(b.A1.map((x, i) => x - a.A1[i])), 10);
    expect(next.stepB).toBeCloseTo(frobenius(b.B1.map((x, i) => x - a.B1[i])), 10);
  });

  it('only the adapted modules; the heatmap is the first adapted one (or the chosen one, or none)', () => {
    const cfg = { ...TOY, targets: [2] };
    const t = exactAdapter(cfg);
    expect(inspectedModules(cfg, task).map((m) => m.module.name)).toEqual(['layers.2']);
    const p = inspectRun(cfg, task, t, { step: 1 });
    expect(p.heat?.module).toBe('layers.2');
    expect([p.heat!.rows, p.heat!.cols]).toEqual([n, n]);
    // the exact adapter's heatmap is the truth's
    close(p.heat!.delta, p.heat!.truth!, 1e-4);
    expect(inspectRun(cfg, task, t, { step: 1, heat: false }).heat).toBeUndefined();
    expect(inspectRun({ ...TOY }, task, exactAdapter(TOY), { step: 1, heat: 'layers.2' }).heat?.module).toBe('layers.2');
    expect(p.readbackMs).toBe(0);
    expect(p.computeMs).toBeGreaterThanOrEqual(0);
  });

  it("the share of the update outside the base weight's top directions: 0 inside them, 1 orthogonal to them", () => {
    const cfg: RunConfig = { ...TOY, targets: [1], r: 2 };
    const W0 = task.Ws[0];
    // B's columns: W0's top two left singular vectors (inside its top 16), or its last two (outside them)
    const all = svd(mat(n, n, Float64Array.from(W0)));
    const adapter = (cols: number[]): TensorMap => {
      const B = new Float32Array(n * 2);
      const A = new Float32Array(2 * n).fill(0.1);
      cols.forEach((c, k) => {
        for (let i = 0; i < n; i++) B[i * 2 + k] = all.U.data[i * n + c];
      });
      return { A1: A, B1: B };
    };
    const inside = inspectRun(cfg, task, adapter([0, 1]), { step: 1 }).modules[0].outsideBase!;
    const outside = inspectRun(cfg, task, adapter([n - 2, n - 1]), { step: 1 }).modules[0].outsideBase!;
    expect(inside).toBeLessThan(1e-6);
    expect(outside).toBeGreaterThan(1 - 1e-6);
  });

  it('names the missing tensor', () => {
    expect(() => inspectRun(TOY, task, { A1: new Float32Array(4) }, { step: 1 })).toThrow(/layers\.1 needs tensor A1/);
  });
});

describe('blockMeans', () => {
  it('averages f x g blocks, smaller at the edges, to at most max x max', () => {
    // 5 x 3 with max 2: blocks of 3 rows x 2 columns -> 2 x 2
    const d = Array.from({ length: 15 }, (_, i) => i);
    const b = blockMeans(d, 5, 3, 2);
    expect([b.rows, b.cols]).toEqual([2, 2]);
    expect(b.data).toEqual([(0 + 1 + 3 + 4 + 6 + 7) / 6, (2 + 5 + 8) / 3, (9 + 10 + 12 + 13) / 4, (11 + 14) / 2]);
    const big = blockMeans(new Float32Array(352 * 128).fill(2), 352, 128, 128);
    expect([big.rows, big.cols]).toEqual([118, 128]);
    expect(big.data.every((x) => x === 2)).toBe(true);
  });
});

describe('inspectRun on the language model', () => {
  const lm: LmTask = { kind: 'lm', shape: SMALL, weights: randomBase(SMALL, 1), train: new Uint8Array(), evalSets: [], seq: 8 };
  const cfg: RunConfig = { ...DEFAULT_CONFIG, task: 'lm', lmTargets: [0, 2, 11], r: 3, lora_alpha: 6 };

  it('every adapted projection by its PEFT name, no truth, r values each', () => {
    const mods = inspectedModules(cfg, lm);
    expect(mods.map((m) => m.module.name)).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.mlp.gate_proj']);
    const rng = new Rng(4);
    const t: TensorMap = Object.fromEntries(mods.flatMap((m) => [[`A${m.index}`, rng.normals(3 * m.module.dIn)], [`B${m.index}`, rng.normals(m.module.dOut * 3)]]));
    const p = inspectRun(cfg, lm, t, { step: 5 });
    expect(p.modules).toHaveLength(3);
    for (const m of p.modules) {
      expect(m.sigma).toHaveLength(3);
      expect(m.trueSigma).toBeUndefined();
      expect(m.agreement).toBeUndefined();
    }
    expect(p.heat?.module).toBe('model.layers.0.self_attn.q_proj');
    expect(p.heat?.truth).toBeUndefined();
  });

  it('full fine-tuning: W - W0 of the base weight', () => {
    const fft = { ...cfg, mode: 'fft' as const };
    const mods = inspectedModules(fft, lm);
    const rng = new Rng(6);
    // a rank-2 change of each weight: its top 2 values, then zeros
    const t: TensorMap = {};
    const want: number[][] = [];
    for (const m of mods) {
      const { dIn, dOut } = m.module;
      const B = mat(dOut, 2, rng.normals(dOut * 2));
      const A = mat(2, dIn, rng.normals(2 * dIn));
      want.push(Array.from(lowRankSvd(B, A).sigma));
      const W = Float32Array.from(m.W0);
      for (let i = 0; i < dOut; i++) for (let j = 0; j < dIn; j++) W[i * dIn + j] += B.data[i * 2] * A.data[j] + B.data[i * 2 + 1] * A.data[dIn + j];
      t[`W${m.index}`] = W;
    }
    inspectRun(fft, lm, t, { step: 1 }).modules.forEach((m, i) => {
      close(m.sigma.slice(0, 2), want[i], 1e-5);
      expect(m.sigma[2]).toBeLessThan(1e-5 * m.sigma[0]);
    });
  });
});
