import { describe, expect, it } from 'vitest';
import { analyzeSweep } from '../../sweep/analysis';
import { syntheticSweep } from '../../sweep/synthetic';
import { muaData } from './muaData';
import { FFT_COLOUR, rankColour, sequential } from './scales';
import { logTicks } from '../../format';

const sweep = syntheticSweep({ ranks: [1, 4, 16], lr: { from: -8, to: -2, step: 1 }, alpha: { kind: 'alphaEff', values: [1] }, includeFft: true }, (g) =>
  g.axes.log2lr === -2 ? 'diverged' : g.axes.log2lr === -3 ? 'collapsed' : g.axes.log2lr === -8 && g.axes.rank === 4 && !g.axes.fft ? 'pending' : 0.05 * (g.axes.log2lr + 5) ** 2 + 0.1 + 0.01 * g.config.r,
);

describe('muA chart data', () => {
  const d = muaData(analyzeSweep(sweep));

  it('has one series per rank plus FFT, FFT red and dashed, ranks on a sequential scale', () => {
    expect(d.series.map((s) => s.name)).toEqual(['r=1', 'r=4', 'r=16', 'FFT']);
    expect(d.series[3]).toMatchObject({ colour: FFT_COLOUR, fft: true, dash: '6 4' });
    expect(new Set(d.series.map((s) => s.colour)).size).toBe(4);
    expect(d.series[0].colour).toBe(rankColour(1, [1, 4, 16]));
    expect(JSON.parse(d.json).map((s: { name: string }) => s.name)).toEqual(['r=1', 'r=4', 'r=16', 'FFT']);
  });

  it('puts diverged and collapsed runs on the top edge, leaves pending ones out, keeps real losses in the JSON', () => {
    const [lo, top] = d.yDomain;
    const r1 = d.series[0];
    expect(r1.dots.filter((p) => p.outcome !== 'ok').every((p) => p.y === top)).toBe(true);
    expect(r1.dots.filter((p) => p.outcome === 'ok').every((p) => p.y < top && p.y >= lo)).toBe(true);
    expect(d.series[1].line.length).toBe(6); // r=4: 7 lrs, one pending
    const json = JSON.parse(d.json)[0].points as [number, number | null, string][];
    expect(json[6]).toEqual([-2, null, 'diverged']);
    expect(json[5]).toEqual([-3, null, 'collapsed']);
    expect(json[3][1]).toBeCloseTo(0.11, 12);
    expect(d.xTicks).toEqual([-8, -7, -6, -5, -4, -3, -2]);
  });

  it('marks optima (the collapse-side best point counts; rank 1 below the true rank is hollow)', () => {
    expect(d.series[0].optimum).toMatchObject({ x: -5, reliable: false });
    expect(d.series[2].optimum!.x).toBeCloseTo(-5, 9);
    expect(d.series[2].optimum!.reliable).toBe(true);
  });
});

describe('muA chart data in bits per byte', () => {
  it('shows every loss through the view (the optimum does not move)', () => {
    const nats = muaData(analyzeSweep(sweep));
    const bits = muaData(analyzeSweep(sweep), (x) => x / Math.LN2);
    const r16 = (d: typeof nats) => d.series[2];
    expect(r16(bits).dots[3].loss).toBeCloseTo(r16(nats).dots[3].loss / Math.LN2, 12);
    expect(r16(bits).optimum!.x).toBe(r16(nats).optimum!.x);
    expect(r16(bits).optimum!.y).toBeCloseTo(r16(nats).optimum!.y / Math.LN2, 12);
    expect(bits.yDomain[1]).toBeCloseTo(nats.yDomain[1] / Math.LN2, 12);
    expect(JSON.parse(bits.json)[0].points[3][1]).toBeCloseTo(JSON.parse(nats.json)[0].points[3][1] / Math.LN2, 12);
  });
});

describe('scales', () => {
  it('log ticks are 1-2-5 steps inside the range', () => {
    expect(logTicks(0.03, 0.7)).toEqual([0.05, 0.1, 0.2, 0.5]);
    expect(logTicks(0.31, 0.33)).toEqual([0.31, 0.33]);
  });
  it('the sequential scale runs from dark to light', () => {
    expect(sequential(0)).toBe('rgb(68 1 84)');
    expect(sequential(2)).toBe(sequential(1));
  });
});
