import { describe, expect, it } from 'vitest';
import type { InspectPoint } from '../engine/inspect';
import { appendInspect, MAX_INSPECT, withoutHeat } from './inspectHistory';

const point = (step: number, heat = false): InspectPoint => ({
  step,
  modules: [{ module: 'layers.1', mode: 'lora', r: 2, sigma: [2, 1], effRank: 1.9, normDelta: Math.hypot(2, 1) }],
  heat: heat ? { module: 'layers.1', rows: 2, cols: 2, delta: [1, 2, 3, 4] } : undefined,
  readbackMs: 1,
  computeMs: 1,
});

describe('appendInspect', () => {
  it('appends; only the newest point with a heatmap keeps it', () => {
    let list: InspectPoint[] = [];
    list = appendInspect(list, point(1, true));
    list = appendInspect(list, point(2));
    expect(list.map((p) => [p.step, !!p.heat])).toEqual([[1, true], [2, false]]);
    list = appendInspect(list, point(3, true));
    expect(list.map((p) => [p.step, !!p.heat])).toEqual([[1, false], [2, false], [3, true]]);
    expect('heat' in list[0]).toBe(false);
  });

  it.each([
    ['every step', (s: number) => s],
    ['steps growing apart', (s: number) => Math.round(s ** 1.5)],
  ])('keeps MAX_INSPECT points over a long run (%s): the first, the newest, spread evenly over the steps', (_, stepOf) => {
    let list: InspectPoint[] = [];
    for (let s = 1; s <= 1000; s++) {
      list = appendInspect(list, point(stepOf(s)));
      expect(list.length).toBe(Math.min(s, MAX_INSPECT));
    }
    const steps = list.map((p) => p.step);
    expect(steps[0]).toBe(stepOf(1));
    expect(steps.at(-1)).toBe(stepOf(1000));
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    const gaps = steps.slice(1).map((s, i) => s - steps[i]);
    const even = (stepOf(1000) - stepOf(1)) / (MAX_INSPECT - 1);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2.5 * even);
  });

  it('a small limit: the point between the closest neighbours goes', () => {
    let list: InspectPoint[] = [];
    for (const s of [1, 2, 3, 10, 11]) list = appendInspect(list, point(s), 4);
    expect(list.map((p) => p.step)).toEqual([1, 3, 10, 11]);
  });

  it('withoutHeat drops only the heatmap', () => {
    const p = point(4, true);
    expect(withoutHeat(p)).toEqual({ step: 4, modules: p.modules, readbackMs: 1, computeMs: 1 });
  });
});
