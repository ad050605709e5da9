import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/schema';
import { buildGrid, gridErrors } from './grid';
import { presetById, presetDef, presetSettings, PRESETS } from './presets';
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
