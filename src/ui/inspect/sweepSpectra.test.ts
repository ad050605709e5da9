import { describe, expect, it } from 'vitest';
import { syntheticSweep } from '../../sweep/synthetic';
import type { SweepRecord } from '../../sweep/types';
import { syntheticInspect } from '../../test/syntheticInspect';
import { FFT_COLOUR, rankColour } from '../sweep/scales';
import { bestRuns, sweepModules, sweepSpectra } from './sweepSpectra';

/** A sweep over ranks 2, 8, 32 and FFT whose runs carry a final inspection point of their rank. */
function sweepWithInspect(): SweepRecord {
  const s = syntheticSweep({ ranks: [2, 8, 32], lr: { from: -8, to: -5, step: 1 }, alpha: { kind: 'alphaEff', values: [1] }, includeFft: true }, (g) =>
    g.axes.log2lr === -5 ? 'diverged' : 0.05 * (g.axes.log2lr + 6.3) ** 2 + 0.1 + (g.axes.fft ? 0 : 0.01 * g.axes.rank),
  );
  return {
    ...s,
    runs: s.runs.map((r) => {
      const pts = syntheticInspect({ r: r.axes.rank, mode: r.axes.fft ? 'full' : 'lora', steps: 100, every: 50, heat: 0, seed: r.axes.log2lr + 20 });
      return { ...r, inspect: pts[pts.length - 1] };
    }),
  };
}

describe('spectra across a sweep', () => {
  const sweep = sweepWithInspect();
  const best = bestRuns(sweep);

  it('one best run per rank (ascending) and FFT: the lowest final loss among the runs that ended well', () => {
    expect(best.map((b) => b.name)).toEqual(['r=2', 'r=8', 'r=32', 'FFT']);
    for (const b of best) expect(b.run.axes.log2lr).toBe(-6); // the grid point nearest the parabola's bottom (2^-6.3)
    expect(best.every((b) => b.run.status?.state === 'done')).toBe(true);
    expect(sweepModules(best)).toEqual(['layers.1', 'layers.2']);
  });

  it('leaves out runs without a final inspection point', () => {
    expect(bestRuns({ runs: sweep.runs.map((r) => ({ ...r, inspect: undefined })) })).toEqual([]);
  });

  it("each rank's spectrum in the rank colours, FFT dashed red, the truth dashed black", () => {
    const d = sweepSpectra(best, 'layers.1');
    expect(d.spectra.map((s) => s.key)).toEqual(['r=2', 'r=8', 'r=32', 'FFT', 'truth']);
    expect(d.spectra[0].colour).toBe(rankColour(2, [2, 8, 32]));
    expect(d.spectra[3]).toMatchObject({ colour: FFT_COLOUR, dash: '6 4' });
    expect(d.spectra[0].points.length).toBe(2);
    expect(d.spectra[2].points.length).toBe(32);
    expect(d.spectra.every((s) => s.points.every((p) => p.y >= d.spectrumDomain[0]))).toBe(true);
  });

  it('rank utilisation: the effective rank of each LoRA rank against y = r, capped by the true rank', () => {
    const d = sweepSpectra(best, 'layers.1');
    expect(d.util.map((u) => u.x)).toEqual([2, 8, 32]);
    expect(d.diagonal).toEqual([
      { x: 2, y: 2 },
      { x: 8, y: 8 },
      { x: 32, y: 32 },
    ]);
    expect(d.util[0].y).toBeLessThanOrEqual(2);
    expect(d.util[2].y).toBeLessThan(5); // 32 directions offered, about r* = 4 used
    expect(d.trueRank).toBe(4);
    expect(d.fftEffRank).not.toBeNull();
    expect(d.table.rows.map((r) => r[0])).toEqual(['r=2', 'r=8', 'r=32', 'FFT']);
    expect(JSON.parse(d.json)[1]).toMatchObject({ name: 'r=8', rank: 8 });
  });

  it('a module no best run has: nothing drawn', () => {
    const d = sweepSpectra(best, 'layers.7');
    expect(d.spectra).toEqual([]);
    expect(d.util).toEqual([]);
  });
});
