import { describe, expect, it } from 'vitest';
import { tableCsv, tableJson } from './numbers';
import { runInspect, sweepRunInspect } from './select';
import { syntheticInspect } from '../../test/syntheticInspect';

describe("a view's numbers", () => {
  const t = { columns: ['step', 'note', 'sigma'], rows: [[1, 'a, "b"', 0.5], [2, null, NaN]] };

  it('as CSV: a header, RFC 4180 quoting, empty cells where not measured, NaN as such', () => {
    expect(tableCsv(t)).toBe('step,note,sigma\n1,"a, ""b""",0.5\n2,,NaN\n');
  });

  it('as JSON rows keyed by column', () => {
    expect(tableJson(t)).toEqual([
      { step: 1, note: 'a, "b"', sigma: 0.5 },
      { step: 2, note: null, sigma: NaN },
    ]);
  });
});

describe('reading inspection points from the store', () => {
  const points = syntheticInspect({ steps: 60, every: 20 });

  it('a page run: its points, or none for a record without the field', () => {
    expect(runInspect({ inspect: points })).toBe(points);
    expect(runInspect({})).toEqual([]);
    expect(runInspect(undefined)).toEqual([]);
  });

  it('a sweep run: its final point', () => {
    expect(sweepRunInspect({ inspect: points[2] })).toBe(points[2]);
    expect(sweepRunInspect({})).toBeUndefined();
  });
});

describe('the spectrum against a full fine-tuning run of the same matrix', () => {
  it('adds the reference as its own series and column', async () => {
    const { spectrumData } = await import('./spectrumData');
    const m = { module: 'model.layers.0.self_attn.q_proj', mode: 'lora' as const, r: 2, sigma: [2, 1], effRank: 1.9, normDelta: 2.2 };
    const ref = { module: m.module, mode: 'full' as const, r: 0, sigma: [3, 2, 1, 0.5], effRank: 3.2, normDelta: 4 };
    const d = spectrumData(m, { label: 'full fine-tuning (FFT lr=2^-9)', m: ref });
    expect(d.series.map((s) => s.key)).toEqual(['sigma', 'truth', 'reference']);
    expect(d.table.columns).toEqual(['index', 'sigma', 'true_sigma', 'reference_sigma']);
    expect(d.table.rows).toHaveLength(4);
    expect(JSON.parse(d.json).reference.sigma).toEqual([3, 2, 1, 0.5]);
    expect(spectrumData(m).series.map((s) => s.key)).toEqual(['sigma', 'truth']);
  });
});
