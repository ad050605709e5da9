import { describe, expect, it } from 'vitest';
import { groupTable, groupTiles, MAX_GROUPS, validateGroups } from './paramGroups';

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

  it('packs 8 words per group: range, tiles, two constants, clip index', () => {
    const buf = groupTable([{ start: 3, end: 9 }, { start: 9, end: 20, clipIndex: 5 }], [[0, 1], [1, 3]], (k) => [0.5 + k, 0.25]);
    const u = new Uint32Array(buf);
    const f = new Float32Array(buf);
    expect(u.length).toBe(16);
    expect([...u.slice(0, 4), f[4], f[5], u[6]]).toEqual([3, 9, 0, 1, 0.5, 0.25, 0]);
    expect([...u.slice(8, 12), f[12], f[13], u[14]]).toEqual([9, 20, 1, 3, 1.5, 0.25, 5]);
  });

  it('rejects too many, overlapping, or out-of-range groups', () => {
    expect(() => validateGroups('x', MAX_GROUPS + 10, Array.from({ length: MAX_GROUPS + 1 }, (_, k) => ({ start: k, end: k + 1 })))).toThrow(/at most/);
    expect(() => validateGroups('x', 100, Array.from({ length: 90 }, (_, k) => ({ start: k, end: k + 1 })))).not.toThrow();
    expect(() => validateGroups('x', 100, [{ start: 50, end: 60 }, { start: 0, end: 51 }])).toThrow(/overlap/);
    expect(() => validateGroups('x', 100, [{ start: 5, end: 4 }])).toThrow(/inside/);
    expect(() => validateGroups('x', 100, [{ start: 0.5, end: 4 }])).toThrow(/inside/);
    expect(() => validateGroups('x', 100, [{ start: 0, end: 50 }, { start: 50, end: 100 }])).not.toThrow();
  });
});
