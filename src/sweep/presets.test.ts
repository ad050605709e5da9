import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, TASK_PRESETS } from '../config/schema';
import { ALL_CELLS, targetParams } from '../tasks/lmTargets';
import { buildGrid, gridErrors } from './grid';
import { ALL_RANK, QV_CELLS, QV_RANK } from './lmPresets';
import { presetById, presetDef, presetSettings, presetTask, PRESETS } from './presets';
import { presetReport } from './presetReports';
import { syntheticSweep } from './synthetic';

const base = { ...DEFAULT_CONFIG };
const tiny = { ...DEFAULT_CONFIG, width: 16, layers: 1, targets: [1], steps: 20, batch: 8, evalSize: 16, logEvery: 5, r: 4, lora_alpha: 4 };

describe('presets', () => {
  it.each(PRESETS.map((p) => [p.id, p] as const))('%s builds a valid, small grid at both scales, also on a tiny task', (_id, p) => {
    const full = buildGrid(presetDef(p, 'full', base), presetSettings(p, base));
    expect(gridErrors(presetDef(p, 'full', base), presetSettings(p, base))).toEqual([]);
    expect(full.length).toBeLessThanOrEqual(90);
    const quick = presetDef(p, 'quick', tiny);
    expect(gridErrors(quick, presetSettings(p, tiny))).toEqual([]);
    expect(buildGrid(quick, presetSettings(p, tiny)).length).toBeLessThanOrEqual(24);
    expect(quick.ranks.every((r) => r <= 16)).toBe(true);
    expect(p.found.length).toBeGreaterThan(40);
  });

  it('the alpha-vs-lr preset turns off what breaks the equivalence', () => {
    const p = presetById('alpha-lr')!;
    expect(presetSettings(p, base)).toMatchObject({ weightDecay: 0, clip: 0, lora_dropout: 0 });
    expect(presetDef(p, 'full', base).loraPlusRatios).toEqual([1, 4]);
  });
});

const LM_IDS = ['lm-mua-a1', 'lm-mua-a-inv-r', 'lm-mua-b1-fft', 'lm-attn-vs-all', 'lm-learns-forgets'];

describe('language-model presets', () => {
  it('are the presets whose settings say task lm', () => {
    expect(PRESETS.filter((p) => presetTask(p) === 'lm').map((p) => p.id)).toEqual(LM_IDS);
  });

  it.each(LM_IDS)('%s: at most 24 runs of 100 steps, and a handful of 20 steps of 2 x 32 bytes at the quick scale', (id) => {
    const p = presetById(id)!;
    for (const [scale, maxRuns, steps, seqLen, batch] of [['full', 24, 100, 64, 4], ['quick', 9, 20, 32, 2]] as const) {
      const cfg = presetSettings(p, base, scale);
      const def = presetDef(p, scale, cfg);
      expect(gridErrors(def, cfg)).toEqual([]);
      const runs = buildGrid(def, cfg);
      expect(runs.length).toBeGreaterThanOrEqual(scale === 'full' ? 18 : 6);
      expect(runs.length).toBeLessThanOrEqual(maxRuns);
      for (const r of runs) expect(r.config).toMatchObject({ task: 'lm', steps, lmData: 'shakespeare', seqLen, batch });
      // FFT trains the same projections in full
      for (const r of runs.filter((x) => x.axes.fft)) expect(r.config.mode).toBe('fft');
    }
  });

  it('lm-attn-vs-all: q,v and all seven projections at ranks with an equal trainable-parameter budget', () => {
    expect([QV_RANK, ALL_RANK]).toEqual([24, 5]);
    const qv = targetParams(QV_CELLS, 'lora', QV_RANK);
    const all = targetParams(ALL_CELLS, 'lora', ALL_RANK);
    expect([qv, all]).toEqual([24 * 1024, 5 * 4928]);
    expect(Math.abs(qv / all - 1)).toBeLessThan(0.003);
    const p = presetById('lm-attn-vs-all')!;
    const runs = buildGrid(presetDef(p, 'full', presetSettings(p, base)), presetSettings(p, base));
    expect(new Set(runs.map((r) => `${r.axes.lmTargets} r=${r.axes.rank}`))).toEqual(new Set(['q+v r=5', 'q+v r=24', 'all r=5', 'all r=24']));
    expect(runs.length).toBe(24);
  });

  it('applying a preset of the other task switches the page to it, with that task\'s settings', () => {
    const lmPreset = presetById('lm-learns-forgets')!;
    const onLm = presetSettings(lmPreset, base);
    expect(onLm).toMatchObject({ ...TASK_PRESETS.lm, task: 'lm', steps: 100 });
    const toy = presetSettings(presetById('mua-a1')!, { ...onLm, lr: 0.5 });
    expect(toy).toMatchObject({ ...TASK_PRESETS.toy, task: 'toy' });
    // on its own task, a preset changes only its few settings
    expect(presetSettings(presetById('mua-a1')!, { ...base, lr: 0.5 }).lr).toBe(0.5);
    expect(presetSettings(lmPreset, { ...onLm, lr: 0.5, weightDecay: 0 })).toMatchObject({ lr: 0.5, weightDecay: 0 });
  });
});

describe('preset reports', () => {
  it('muA Init[A] alpha_eff = 1: the measured slope next to the predicted -1/2', () => {
    const p = presetById('mua-a1')!;
    const s = syntheticSweep(presetDef(p, 'full', base), (g) => 0.1 * Math.exp(0.5 * (g.axes.log2lr - (-5 - 0.5 * Math.log2(g.config.r))) ** 2));
    const lines = presetReport(p, s);
    expect(lines[0]).toBe('measured slope of log2(optimal lr) vs log2(r): -0.50 over 5 ranks with a reliable optimum (muA predicts -1/2).');
    expect(lines[1]).toMatch(/^Optima: r=1 2\^-5 \(unreliable\), r=2 2\^-5\.5 \(unreliable\), r=4 2\^-6, /);
  });

  it('LoRA vs FFT: how many octaves apart the optima are', () => {
    const p = presetById('lora-vs-fft')!;
    const s = syntheticSweep(presetDef(p, 'full', base), (g) => 0.05 * (g.axes.log2lr - (g.axes.fft ? -9 : -6)) ** 2 + 0.1);
    expect(presetReport(p, s)[1]).toBe("Full fine-tuning's optimum is 2^-9; LoRA's reliable optima average 2^-6, 3.0 octaves above it.");
  });

  it('alpha vs lr: exact pairs and the optimum shift', () => {
    const p = presetById('alpha-lr')!;
    // A loss that depends on lr and alpha x ratio only (so the exact pairs agree), with alpha x 4 moving
    // the optimum by -1.8 octaves (close to, not exactly, the -2 of the global-lr equivalence).
    const s = syntheticSweep(presetDef(p, 'full', base), (g) => 0.1 * Math.exp(0.5 * (g.axes.log2lr + 0.9 * Math.log2(g.axes.alpha! * g.axes.loraPlusRatio) + 6) ** 2));
    const lines = presetReport(p, s);
    expect(lines[0]).toMatch(/^Exact: alpha x 4 vs B's learning rate \/ 4: the largest relative difference in final loss over 9 learning rates is 0\.0e\+0/);
    expect(lines[1]).toMatch(/a shift of -1\.80 octaves \(exact equivalence would be -2\.00\)/);
  });

  it('rsLoRA, alpha x rank, multi-epoch and optimizer reports read the runs', () => {
    const rs = presetById('rslora')!;
    const s1 = syntheticSweep(presetDef(rs, 'full', base), (g) => (g.config.scaling === 'rslora' ? 0.5 / Math.sqrt(g.config.r) : 0.5));
    expect(presetReport(rs, s1)).toContain('lr 2^-8, rsLoRA: final loss 0.5 at r=1 -> 0.0625 at r=64.');
    const ar = presetById('alpha-rank')!;
    const s2 = syntheticSweep(presetDef(ar, 'full', base), (g) => (g.config.lora_alpha === 512 ? 'collapsed' : 1 / (1 + g.config.lora_alpha)));
    expect(presetReport(ar, s2)[0]).toBe('r=2: best alpha 128 (final loss 0.00775), 1 run(s) diverged or collapsed.');
    const me = presetById('multi-epoch')!;
    const s3 = syntheticSweep(presetDef(me, 'full', base), () => 0.2);
    expect(presetReport(me, s3)[0]).toBe('r=2: final train loss 0.2, eval loss 0.22 (lowest 0.22 at step 90).');
    const op = presetById('adamw-sgd')!;
    const s4 = syntheticSweep(presetDef(op, 'full', base), (g) => 0.1 * (g.axes.log2lr - (g.config.optimizer === 'sgd' ? -2 : -7)) ** 2 + 0.3);
    expect(presetReport(op, s4)).toEqual(['AdamW: best final loss 0.3 at lr 2^-7.', 'SGD: best final loss 0.3 at lr 2^-2.']);
  });
});
