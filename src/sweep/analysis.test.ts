import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/schema';
import { analyzeSweep, curveOptimum, outcomeOf, summarizeRun, type CurvePoint } from './analysis';
import { fitLine, fitParabola, parabolaVertex } from './fit';
import { predictedSlope, scalingExponent } from './theory';
import { buildHeatmap, sweptAxes } from './heatmap';
import { syntheticSweep } from './synthetic';

const pts = (xs: number[], f: (x: number) => number): CurvePoint[] => xs.map((x) => ({ x, y: f(x), outcome: 'ok', runIds: [] }));
const grid = (from: number, to: number, step: number) => Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step);

describe('fits', () => {
  it('the parabola fit is exact on synthetic parabolas (3 points and least squares over more)', () => {
    for (const [a, x0, c] of [[0.3, -6.2, 0.1], [2, -3.75, 1.5], [0.01, -9.9, 0.02]]) {
      const f = (x: number) => a * (x - x0) ** 2 + c;
      for (const xs of [[-7, -6, -5], grid(-10, -1, 0.5)]) {
        const p = fitParabola(xs, xs.map(f))!;
        expect(parabolaVertex(p)!).toBeCloseTo(x0, 9);
      }
    }
    expect(fitParabola([1, 1, 2], [0, 1, 2])).toBeNull();
    expect(parabolaVertex(fitParabola([0, 1, 2], [0, 1, 0])!)).toBeNull(); // downward
  });

  it('the line fit is exact on synthetic lines', () => {
    const xs = [0, 1, 2, 3, 4, 5, 6];
    const l = fitLine(xs, xs.map((x) => -0.5 * x - 4.25))!;
    expect(l.slope).toBeCloseTo(-0.5, 12);
    expect(l.intercept).toBeCloseTo(-4.25, 12);
    expect(l.n).toBe(7);
    expect(fitLine([1], [2])).toBeNull();
    expect(fitLine([1, 1], [2, 3])).toBeNull();
  });
});

describe('curveOptimum', () => {
  const xs = grid(-10, -1, 0.5);
  it('finds the vertex of a parabola between grid points', () => {
    // A parabola in log(loss) (the fit's space): the vertex is found exactly between grid points.
    const o = curveOptimum(pts(xs, (x) => 0.2 * Math.exp(0.25 * (x - -6.3) ** 2)), 8)!;
    expect(o.x).toBeCloseTo(-6.3, 9);
    expect(o.y).toBeCloseTo(0.2, 9);
    expect(o.reliable).toBe(true);
  });
  it('marks flat curves, low ranks and grid-edge optima unreliable', () => {
    const flat = curveOptimum(pts(xs, (x) => 0.3 + 0.0001 * (x + 5) ** 2), 8)!;
    expect(flat.reliable).toBe(false);
    expect(flat.why).toMatch(/too flat/);
    const low = curveOptimum(pts(xs, (x) => 0.05 * (x + 6) ** 2 + 0.2), 2, { window: 1, minDepth: 0.02, trueRank: 4 })!;
    expect(low).toMatchObject({ reliable: false, why: 'rank 2 is below the true rank 4' });
    const edge = curveOptimum(pts(xs, (x) => 0.05 * (x + 12) ** 2), 8)!;
    expect(edge).toMatchObject({ x: -10, reliable: false });
    expect(edge.why).toMatch(/low edge/);
  });
  it('next to collapsed runs the best point is the optimum; diverged and collapsed points are not fitted', () => {
    const p = pts(xs, (x) => 0.05 * (x + 4) ** 2 + 0.2).map((q) => (q.x > -4.5 ? { ...q, y: NaN, outcome: 'collapsed' as const } : q));
    const o = curveOptimum(p, 8)!;
    expect(o).toMatchObject({ x: -4.5, reliable: true });
    expect(curveOptimum(p.map((q) => ({ ...q, outcome: 'diverged' as const })), 8)).toBeNull();
  });
});

describe('muA predicted slopes', () => {
  it('match the table in LORA_FACTS.md', () => {
    expect(predictedSlope('initA', 'standard', 'alphaEff').slope).toBe(-0.5);
    expect(predictedSlope('initA', 'standard', 'loraAlpha').slope).toBe(0);
    expect(predictedSlope('initA', 'rslora', 'loraAlpha').slope).toBe(-0.25);
    expect(predictedSlope('initB', 'standard', 'alphaEff').slope).toBe(0);
    expect(predictedSlope('initB', 'standard', 'loraAlpha').slope).toBeNull();
    expect(predictedSlope('gaussian', 'standard', 'alphaEff').slope).toBeNull();
    expect(predictedSlope('initA', 'standard', 'alphaEff').rule).toBe('Init[A], standard scaling, alpha_eff fixed (s ~ r^0): eta* ~ r^-1/2');
    // General Init[A]: alpha_eff = r^-gamma gives -(1 - gamma) / 2.
    expect(-(1 - scalingExponent('rslora', 'alphaEff')) / 2).toBe(-0.75);
  });
});

describe('analyzeSweep', () => {
  // A synthetic muA figure: optimum at log2 lr = -5 - 0.5 log2 r, FFT at -8; lr 2^-2 collapses.
  const optimum = (r: number) => -5 - 0.5 * Math.log2(r);
  const sweep = syntheticSweep({ ranks: [1, 2, 4, 8, 16, 32, 64], lr: { from: -12, to: -2, step: 0.5 }, alpha: { kind: 'alphaEff', values: [1] }, includeFft: true }, (g) => {
    const x = g.axes.log2lr;
    if (x >= -2) return 'collapsed';
    const x0 = g.axes.fft ? -8 : optimum(g.config.r);
    return 0.04 * (x - x0) ** 2 + 0.1;
  });

  it('summarises runs: final, best and eval loss, outcome', () => {
    const row = summarizeRun(sweep.runs[0]);
    expect(row.finalLoss).toBeCloseTo(0.04 * (-12 - -5) ** 2 + 0.1, 12);
    expect(row.bestLoss).toBe(row.finalLoss); // the synthetic run starts at twice its final loss
    expect(row.evalLoss).toBeCloseTo(row.finalLoss * 1.1, 12);
    expect(outcomeOf(sweep.runs[0])).toBe('ok');
    expect(outcomeOf(sweep.runs.find((r) => r.axes.log2lr === -2)!)).toBe('collapsed');
  });

  it('one curve per rank plus FFT, optima on the synthetic line, slope -1/2 next to the prediction', () => {
    const panels = analyzeSweep(sweep);
    expect(panels.length).toBe(1);
    const p = panels[0];
    expect(p.curves.map((c) => c.name)).toEqual(['r=1', 'r=2', 'r=4', 'r=8', 'r=16', 'r=32', 'r=64', 'FFT']);
    for (const c of p.curves.filter((c) => !c.fft)) expect(c.optimum!.x).toBeCloseTo(optimum(c.rank!), 9);
    expect(p.curves.at(-1)!.optimum!.x).toBeCloseTo(-8, 9);
    // Ranks 1 and 2 are below the true rank 4 (default task): left out of the fit.
    expect(p.curves.slice(0, 2).every((c) => c.optimum!.reliable === false)).toBe(true);
    expect(p.fit!.n).toBe(5);
    expect(p.fit!.slope).toBeCloseTo(-0.5, 9);
    expect(p.predicted.slope).toBe(-0.5);
    expect(p.label).toBe('');
  });

  it('averages seeds and splits panels by the other axes', () => {
    const s = syntheticSweep({ ranks: [4], lr: { from: -6, to: -4, step: 1 }, seeds: [1, 2], scalings: ['standard', 'rslora'] }, (g) => (g.config.seed === 1 ? 0.2 : 0.4) + (g.config.scaling === 'rslora' ? 1 : 0));
    const panels = analyzeSweep(s);
    expect(panels.map((p) => p.label)).toEqual(['scaling=standard', 'scaling=rslora']);
    expect(panels[0].curves[0].points.map((q) => q.y)).toEqual([0.3, 0.3, 0.3].map((v) => expect.closeTo(v, 12)));
    expect(panels[0].curves[0].points[0].runIds.length).toBe(2);
    expect(panels[1].predicted.slope).toBe(-0.25); // rsLoRA with a fixed lora_alpha
  });
});

describe('heatmap', () => {
  it('takes the best final loss per cell and marks the best cell; collapsed cells keep their label', () => {
    const s = syntheticSweep({ ranks: [2, 8], lr: { from: -6, to: -5, step: 1 }, alpha: { kind: 'loraAlpha', values: [1, 16, 512] } }, (g) =>
      g.config.lora_alpha === 512 ? 'collapsed' : 0.1 * g.config.r + (g.axes.log2lr === -5 ? 0 : 0.05) + (g.config.lora_alpha === 16 ? 0 : 0.5),
    );
    expect(sweptAxes(s.runs)).toEqual(['rank', 'log2lr', 'alpha']);
    const h = buildHeatmap(s.runs, 'alpha', 'rank');
    expect(h.xs).toEqual(['1', '16', '512']);
    expect(h.ys).toEqual(['2', '8']);
    expect(h.best).toMatchObject({ x: '16', y: '2' });
    expect(h.best!.value).toBeCloseTo(0.2, 12);
    expect(h.cells.find((c) => c.x === '512' && c.y === '8')).toMatchObject({ outcome: 'collapsed' });
  });
});

describe('defaults', () => {
  it('the synthetic sweep runs on the default settings', () => {
    expect(syntheticSweep({ ranks: [1], lr: { from: -1, to: -1, step: 1 } }, () => 0.5).base).toEqual(DEFAULT_CONFIG);
  });
});
