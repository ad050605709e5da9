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
