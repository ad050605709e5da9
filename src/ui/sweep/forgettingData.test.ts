import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, TASK_PRESETS, type RunConfig } from '../../config/schema';
import { syntheticSweep } from '../../sweep/synthetic';
import { forgettingData } from './forgettingData';
import { FFT_COLOUR, rankColour } from './scales';

const lm: RunConfig = { ...DEFAULT_CONFIG, ...TASK_PRESETS.lm, task: 'lm' };
const LN2 = Math.LN2;
// In bits per byte: fine-tuning text best at 2^-7 (lower with rank), pretraining text rising with lr.
const sweep = syntheticSweep({ ranks: [2, 8], lr: { from: -8, to: -5, step: 1 }, includeFft: true }, (g) => (g.axes.log2lr === -5 && !g.axes.fft && g.config.r === 8 ? 'collapsed' : 1.5), lm, (g) => ({
  first: [4 * LN2, 1 * LN2],
  last: [(3 + 0.1 * (g.axes.log2lr + 7) ** 2 - (g.axes.fft ? 0.5 : 0.01 * g.config.r)) * LN2, (1.2 + 0.1 * (g.axes.log2lr + 8)) * LN2],
}));

describe('learned vs forgotten scatter data', () => {
  const d = forgettingData(sweep.runs);

  it('one series per rank and FFT, ranks on the sequential scale, FFT red', () => {
    expect(d.series.map((s) => s.name)).toEqual(['r=2', 'r=8', 'FFT']);
    expect(d.series.map((s) => s.colour)).toEqual([rankColour(2, [2, 8]), rankColour(8, [2, 8]), FFT_COLOUR]);
  });

  it('one dot per finished run in bits per byte (a collapsed run left out), the best of each curve marked', () => {
    expect(d.series.map((s) => s.dots.length)).toEqual([4, 3, 4]);
    const r2 = d.series[0].dots;
    expect(r2[0].x).toBeCloseTo(3 + 0.1 - 0.02, 12);
    expect(r2[0].y).toBeCloseTo(1.2, 12);
    expect(d.series.map((s) => s.dots.filter((x) => x.best).map((x) => x.log2lr))).toEqual([[-7], [-7], [-7]]);
    expect(JSON.parse(d.json)[2].dots[1]).toEqual([-7, 2.5, expect.closeTo(1.3, 12), true]);
  });

  it("the base model as reference lines; its pretraining-text loss inside the y axis, the x axis the runs'", () => {
    expect(d.base).toEqual({ x: 4, y: 1 });
    const xs = d.series.flatMap((s) => s.dots.map((x) => x.x));
    expect(d.xDomain[0]).toBeLessThan(Math.min(...xs));
    expect(d.xDomain[1]).toBeGreaterThan(Math.max(...xs));
    expect(d.xDomain[1]).toBeLessThan(4);
    expect(d.yDomain[0]).toBeLessThan(1);
    expect(d.yDomain[1]).toBeGreaterThan(1.5);
  });

  it('curves that differ in another axis (target modules) get their own marker shape', () => {
    const s = syntheticSweep({ ranks: [4], lr: { from: -7, to: -6, step: 1 }, lmTargets: [[0, 2, 7, 9], [...Array(14).keys()]], includeFft: true }, () => 1.5, lm, () => ({ first: [3, 1], last: [2, 1.2] }));
    expect(forgettingData(s.runs).series.map((x) => [x.name, x.marker])).toEqual([
      ['r=4 · modules=all', 'circle'], ['r=4 · modules=q+v', 'square'], ['FFT · modules=all', 'circle'], ['FFT · modules=q+v', 'square'],
    ]);
    expect(d.series.every((x) => x.marker === 'circle')).toBe(true);
  });

  it('is empty for a sweep without held-out losses on two texts (the toy)', () => {
    const toy = forgettingData(syntheticSweep({ ranks: [2], lr: { from: -7, to: -6, step: 1 } }, () => 0.3).runs);
    expect(toy.series).toEqual([]);
    expect(toy.base).toBeNull();
  });
});
