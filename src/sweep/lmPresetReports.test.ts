import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/schema';
import { presetById, presetDef, presetSettings } from './presets';
import { presetReport } from './presetReports';
import { syntheticSweep, type Outcome, type SyntheticEvals } from './synthetic';
import type { GridRun } from './types';

const sweepOf = (id: string, final: (g: GridRun) => Outcome, evals?: SyntheticEvals) => {
  const p = presetById(id)!;
  const cfg = presetSettings(p, { ...DEFAULT_CONFIG });
  return { p, s: syntheticSweep(presetDef(p, 'full', cfg), final, cfg, evals) };
};
const LN2 = Math.LN2;

describe('language-model preset reports', () => {
  it('muA on the LM: the slope over every rank (no toy true rank makes low ranks unreliable)', () => {
    const { p, s } = sweepOf('lm-mua-a1', (g) => 2 * Math.exp(0.3 * (g.axes.log2lr - (-6.5 - 0.5 * Math.log2(g.config.r / 8))) ** 2));
    const lines = presetReport(p, s);
    expect(lines[0]).toBe('measured slope of log2(optimal lr) vs log2(r): -0.50 over 3 ranks with a reliable optimum (muA predicts -1/2).');
    expect(lines[1]).not.toMatch(/unreliable/);
  });

  it('attention vs all: the best held-out loss per set and rank, and who wins at the equal budget', () => {
    // held-out loss (nats): all at best 2 LN2 (2 bits/byte) at 2^-7, q+v 2.25 bits at 2^-6; rank barely matters
    const evals: SyntheticEvals = (g) => {
      const all = g.axes.lmTargets === 'all';
      const bitsAt = (all ? 2 : 2.25) + 0.05 * (g.axes.log2lr - (all ? -7 : -6)) ** 2 - 0.001 * g.config.r;
      return { first: [4 * LN2, 2 * LN2], last: [bitsAt * LN2, 2.3 * LN2] };
    };
    const { p, s } = sweepOf('lm-attn-vs-all', () => 2, evals);
    expect(presetReport(p, s)).toEqual([
      'q+v at r=5 (5,120 trainable parameters): best held-out loss 2.25 bits/byte, at lr 2^-6.',
      'q+v at r=24 (24,576 trainable parameters): best held-out loss 2.23 bits/byte, at lr 2^-6.',
      'all at r=5 (24,640 trainable parameters): best held-out loss 2 bits/byte, at lr 2^-7.',
      'all at r=24 (118,272 trainable parameters): best held-out loss 1.98 bits/byte, at lr 2^-7.',
      'Equal budget (all r=5: 24,640; q+v r=24: 24,576): all wins by 0.231 bits/byte (2 vs 2.23), as the sources found.',
    ]);
  });

  it('learns less, forgets less: each curve at its best lr against the base, and whether the trends hold', () => {
    // Fine-tuning text: best at 2^-6 for LoRA, 2^-9 for FFT, lower with rank and lowest for FFT.
    // Pretraining text: 1 bit/byte at the base, rising with rank, most for FFT.
    const evals = (forget: (r: number | null) => number): SyntheticEvals => (g) => {
      const r = g.axes.fft ? null : g.config.r;
      const learned = r === null ? 0.6 : 0.1 * Math.log2(r);
      const target = 3 - learned + 0.1 * (g.axes.log2lr - (r === null ? -9 : -6)) ** 2;
      return { first: [4 * LN2, 1 * LN2], last: [target * LN2, (1 + forget(r)) * LN2] };
    };
    const ok = sweepOf('lm-learns-forgets', () => 2, evals((r) => (r === null ? 0.5 : 0.05 * Math.log2(r))));
    expect(presetReport(ok.p, ok.s)).toEqual([
      'Base model (step 1): 4 bits/byte on the held-out fine-tuning text, 1 on the held-out pretraining text.',
      'r=2 at its best lr 2^-6: fine-tuning text 2.9 (learned +1.1), pretraining text 1.05 (forgot +0.05) bits/byte.',
      'r=8 at its best lr 2^-6: fine-tuning text 2.7 (learned +1.3), pretraining text 1.15 (forgot +0.15) bits/byte.',
      'r=32 at its best lr 2^-6: fine-tuning text 2.5 (learned +1.5), pretraining text 1.25 (forgot +0.25) bits/byte.',
      'FFT at its best lr 2^-9: fine-tuning text 2.4 (learned +1.6), pretraining text 1.5 (forgot +0.5) bits/byte.',
      'Learning: more with every higher rank; most with full fine-tuning.',
      'Forgetting: more with every higher rank; most with full fine-tuning.',
      'This sweep agrees with the paper: LoRA learned less and forgot less, more so at lower ranks.',
    ]);
    const odd = sweepOf('lm-learns-forgets', () => 2, evals((r) => (r === null ? 0.1 : r === 8 ? 0.3 : 0.2)));
    const lines = presetReport(odd.p, odd.s);
    expect(lines.slice(-2)).toEqual([
      'Forgetting: not more with every higher rank; not most with full fine-tuning.',
      'This sweep does not follow the paper everywhere (one seed at 100 steps is noisy; see the scatter chart for every run).',
    ]);
  });

  it('says so when nothing has finished', () => {
    const none = sweepOf('lm-learns-forgets', () => 'pending');
    expect(presetReport(none.p, none.s)).toEqual(['No finished run with both held-out losses yet.']);
    const none2 = sweepOf('lm-attn-vs-all', () => 'pending');
    expect(presetReport(none2.p, none2.s)).toEqual(['No finished run yet.']);
  });
});
