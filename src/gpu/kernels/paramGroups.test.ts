import { describe, expect, it } from 'vitest';
import { groupTableFields, groupTiles, MAX_GROUPS, validateGroups } from './paramGroups';

describe('optimizer parameter groups', () => {
  it('gives each group its own run of workgroups, in listed order, skipping gaps and empty groups', () => {
    const groups = [{ start: 100, end: 1100 }, { start: 0, end: 0 }, { start: 0, end: 10 }];
    const { tiles, workgroups } = groupTiles(groups, { wg: 64, items: 4 });
    expect(tiles).toEqual([[0, 4], [4, 4], [4, 5]]); // ceil(1000 / 256) = 4, 0, 1
    expect(workgroups).toEqual([5, 1, 1]);
  });

  it('folds more than 65535 workgroups into y', () => {
    const { workgroups } = groupTiles([{ start: 0, end: 70_000 }], { wg: 1, items: 1 });
    expect(workgroups).toEqual([35_000, 2, 1]);
  });

  it('packs MAX_GROUPS entries of 8 words whatever the group count', () => {
    const f = groupTableFields([{ start: 3, end: 9 }], [[0, 1]], () => [0.5, 0.25]);
    expect(f.length).toBe(8 * MAX_GROUPS);
    expect(f.slice(0, 8)).toEqual([['u32', 3], ['u32', 9], ['u32', 0], ['u32', 1], ['f32', 0.5], ['f32', 0.25], ['u32', 0], ['u32', 0]]);
    expect(f.slice(8).every(([, v]) => v === 0)).toBe(true);
  });

  it('rejects too many, overlapping, or out-of-range groups', () => {
    expect(() => validateGroups('x', 100, Array.from({ length: 9 }, (_, k) => ({ start: k, end: k + 1 })))).toThrow(/at most 8/);
    expect(() => validateGroups('x', 100, [{ start: 50, end: 60 }, { start: 0, end: 51 }])).toThrow(/overlap/);
    expect(() => validateGroups('x', 100, [{ start: 5, end: 4 }])).toThrow(/inside/);
    expect(() => validateGroups('x', 100, [{ start: 0.5, end: 4 }])).toThrow(/inside/);
    expect(() => validateGroups('x', 100, [{ start: 0, end: 50 }, { start: 50, end: 100 }])).not.toThrow();
  });
});
