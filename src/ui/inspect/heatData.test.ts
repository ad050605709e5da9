import { describe, expect, it } from 'vitest';
import type { InspectPoint } from '../../engine/inspect';
import { syntheticInspect } from '../../test/syntheticInspect';
import { diverging, divergingRgb, symmetricRange } from './diverging';
import { cellPixels, heatCells, heatPixels, heatRange, heatStats, heatSummary, pickHeat } from './heatData';

describe('the diverging colour scale', () => {
  it('is blue for negative, white at zero, red for positive, clamped, NaN neutral', () => {
    expect(divergingRgb(-1)).toEqual([33, 102, 172]);
    expect(divergingRgb(0)).toEqual([247, 247, 247]);
    expect(divergingRgb(1)).toEqual([178, 24, 43]);
    expect(divergingRgb(5)).toEqual(divergingRgb(1));
    expect(divergingRgb(NaN)).toEqual(divergingRgb(0));
    expect(diverging(0)).toBe('rgb(247 247 247)');
  });

  it('is symmetric in lightness: -t and t are as far from white', () => {
    for (const t of [0.2, 0.5, 0.9]) {
      const light = (c: number[]) => c[0] + c[1] + c[2];
      expect(Math.abs(light(divergingRgb(t)) - light(divergingRgb(-t)))).toBeLessThan(60);
    }
  });

  it('one symmetric range over both grids', () => {
    expect(symmetricRange([1, -3], [2, NaN], undefined)).toBe(3);
    expect(symmetricRange([0, 0])).toBe(1);
  });
});

describe('the heatmap view', () => {
  const points = syntheticInspect({ steps: 200, every: 20, heat: 16 });
  const { heat } = pickHeat(points, 'layers.1')!;

  it('picks the newest heatmap of the module, else the newest of any', () => {
    expect(pickHeat(points, 'layers.1')!.step).toBe(200);
    expect(pickHeat(points, 'layers.2')!.heat.module).toBe('layers.1');
    expect(pickHeat([], 'layers.1')).toBeNull();
    const two: InspectPoint[] = [{ ...points[0], heat: { ...heat, module: 'layers.2' } }, points[1]];
    expect(pickHeat(two, 'layers.2')!.step).toBe(points[0].step);
  });

  it('the learned update matches the truth late in training: high correlation, small error', () => {
    const s = heatStats(heat);
    expect(s.correlation!).toBeGreaterThan(0.95);
    expect(s.relError!).toBeLessThan(0.3);
    expect(heatRange(heat)).toBe(Math.max(s.maxAbsDelta, s.maxAbsTruth!));
  });

  it('stats of known grids', () => {
    const h = { module: 'm', rows: 1, cols: 2, delta: [1, -1], truth: [2, -2] };
    expect(heatStats(h)).toEqual({ maxAbsDelta: 1, maxAbsTruth: 2, correlation: 1, relError: 0.5 });
    expect(heatStats({ ...h, truth: undefined })).toEqual({ maxAbsDelta: 1, maxAbsTruth: null, correlation: null, relError: null });
    expect(heatSummary(h).rows.find((r) => r[0] === 'colour range ±')![1]).toBe(2);
  });

  it('pixels: each cell a cell x cell square in its colour, row-major', () => {
    const px = heatPixels([-2, 0, 2, 1], 2, 2, 2, 3);
    expect(px.length).toBe(6 * 6 * 4);
    const at = (x: number, y: number) => [...px.subarray((y * 6 + x) * 4, (y * 6 + x) * 4 + 4)];
    expect(at(0, 0)).toEqual([...divergingRgb(-1), 255]);
    expect(at(2, 2)).toEqual([...divergingRgb(-1), 255]);
    expect(at(3, 0)).toEqual([...divergingRgb(0), 255]);
    expect(at(0, 3)).toEqual([...divergingRgb(1), 255]);
    expect(at(5, 5)).toEqual([...divergingRgb(0.5), 255]);
    expect(cellPixels(128, 128)).toBe(1);
    expect(cellPixels(16, 8)).toBe(12);
  });

  it('every cell of both grids in the CSV table', () => {
    const t = heatCells(heat);
    expect(t.rows.length).toBe(2 * 16 * 16);
    expect(t.rows[17]).toEqual(['delta', 1, 1, heat.delta[17]]);
    expect(t.rows[256]).toEqual(['truth', 0, 0, heat.truth![0]]);
  });
});
