import { describe, expect, it } from 'vitest';
import { effectiveRank, syntheticInspect } from '../../test/syntheticInspect';
import { indexTicks, linearDomain, linearTicks, linesLegend, logDomain } from './lines';
import { moduleAt, spectrumData, SPECTRUM_DECADES } from './spectrumData';
import { agreementData, dynamicsData, effRankData, latestAgreement, moduleHistory } from './trainingSeries';

const points = syntheticInspect({ steps: 400, every: 20, r: 8, trueRank: 4 });
const last = points[points.length - 1];

describe('the spectrum view', () => {
  const d = spectrumData(moduleAt(last, 'layers.1'));

  it('draws the learned and the true singular values by index, the truth dashed', () => {
    const [learned, truth] = d.series;
    expect(learned.points.map((p) => p.x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(truth.points.map((p) => p.x)).toEqual([1, 2, 3, 4]);
    expect(truth.dash).toBeTruthy();
    expect(learned.label).toBe('learned update (r = 8)');
    expect(d.log).toBe(true);
  });

  it('a rank-8 adapter on r* = 4: 4 values near the truth, the rest far below', () => {
    const m = moduleAt(last, 'layers.1')!;
    for (let i = 0; i < 4; i++) expect(Math.abs(m.sigma[i] - m.trueSigma![i]) / m.trueSigma![i]).toBeLessThan(0.25);
    expect(m.sigma[4]).toBeLessThan(m.sigma[3] / 3);
    expect(JSON.parse(d.json)).toEqual({ module: 'layers.1', sigma: m.sigma, trueSigma: m.trueSigma });
  });

  it('clips values under the floor to it; the table keeps them as measured', () => {
    const m = { module: 'm', mode: 'lora' as const, r: 3, sigma: [2, 1e-9, 0], effRank: 1, normDelta: 2 };
    const s = spectrumData(m);
    const floor = 2 * 10 ** -SPECTRUM_DECADES;
    expect(s.yDomain).toEqual([floor, 4]);
    expect(s.series[0].points).toEqual([
      { x: 1, y: 2 },
      { x: 2, y: floor },
      { x: 3, y: floor },
    ]);
    expect(s.table.rows).toEqual([
      [1, 2, null],
      [2, 1e-9, null],
      [3, 0, null],
    ]);
    expect(s.series[1].points).toEqual([]); // no truth: nothing drawn, nothing in the legend
    expect(linesLegend(s).map((l) => l.label)).toEqual(['learned update (r = 3)']);
  });

  it('is empty for a module the point does not have', () => {
    expect(moduleAt(last, 'layers.9')).toBeUndefined();
    expect(spectrumData(undefined).series.every((s) => s.points.length === 0)).toBe(true);
  });
});

describe('views over training', () => {
  it('a module history is downsampled and keeps the latest point', () => {
    const h = moduleHistory(points, 'layers.2', 7);
    expect(h.length).toBeLessThanOrEqual(7);
    expect(h[h.length - 1].step).toBe(400);
    expect(moduleHistory(points, 'nope')).toEqual([]);
  });

  it('agreement: each cosine dashed, their mean solid, one row per step', () => {
    const d = agreementData(points, 'layers.1');
    expect(d.series.map((s) => s.key)).toEqual(['cos1', 'cos2', 'cos3', 'cos4', 'mean']);
    expect(d.series[4].dash).toBeUndefined();
    expect(d.table.columns).toEqual(['step', 'mean_cosine', 'cos1', 'cos2', 'cos3', 'cos4']);
    expect(d.table.rows.length).toBe(points.length);
    const mean = d.series[4].points;
    expect(mean[mean.length - 1].y).toBeGreaterThan(mean[0].y);
    expect(latestAgreement(points).get('layers.1')).toBeCloseTo(mean[mean.length - 1].y, 12);
  });

  it('agreement of a run without ground truth: no series', () => {
    const lm = syntheticInspect({ truth: false, steps: 40 });
    expect(agreementData(lm, 'layers.1').series.every((s) => s.points.length === 0)).toBe(true);
    expect(latestAgreement(lm).size).toBe(0);
  });

  it('effective rank against the lines y = r and y = r*, the axis reaching r', () => {
    const d = effRankData(points, 'layers.1', 4);
    expect(d.refs.map((r) => r.y)).toEqual([8, 4]);
    expect(d.yDomain[1]).toBeGreaterThanOrEqual(8);
    const eff = d.series[0].points;
    expect(eff[eff.length - 1].y).toBeCloseTo(effectiveRank(last.modules[0].sigma), 12);
    expect(eff[eff.length - 1].y).toBeGreaterThan(3);
    expect(eff[eff.length - 1].y).toBeLessThan(4.5);
    // full fine-tuning has no adapter rank: only the true rank's line
    expect(effRankData(syntheticInspect({ mode: 'full', steps: 40 }), 'layers.1', 4).refs.map((r) => r.y)).toEqual([4]);
  });

  it('dynamics: norms of A, B, the update and the factor steps, on a log axis', () => {
    const d = dynamicsData(points, 'layers.1');
    expect(d.series.map((s) => s.key)).toEqual(['normA', 'normB', 'normDelta', 'stepA', 'stepB']);
    const b = d.series[1].points;
    expect(b[b.length - 1].y).toBeGreaterThan(b[0].y); // B grows from zero
    expect(d.series.every((s) => s.points.every((p) => p.y > 0))).toBe(true);
    expect(d.yDomain[0]).toBeGreaterThan(0);
    // full fine-tuning has no factors: the update's norm only
    expect(dynamicsData(syntheticInspect({ mode: 'full', steps: 40 }), 'layers.1').series.map((s) => s.key)).toEqual(['normDelta']);
  });

  it('axis ranges', () => {
    expect(logDomain([0, -1, 0.1, 10])).toEqual([0.1 / 3, 20]);
    expect(logDomain([])).toEqual([0.01, 1]);
    expect(linearDomain([1, 2], 8)).toEqual([0, 10]); // a round top above 8 (and a little room)
    expect(linearDomain([0.3, 3.6], 4)).toEqual([0, 5]);
    expect(linearTicks(10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(linearTicks(5)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(linearTicks(300)).toEqual([0, 60, 120, 180, 240, 300]);
  });
});

describe('index ticks', () => {
  it('every index up to 16, then 1 and multiples of 4 or 8', () => {
    expect(indexTicks(4)).toEqual([1, 2, 3, 4]);
    expect(indexTicks(32)).toEqual([1, 4, 8, 12, 16, 20, 24, 28, 32]);
    expect(indexTicks(64)).toEqual([1, 8, 16, 24, 32, 40, 48, 56, 64]);
  });
});
