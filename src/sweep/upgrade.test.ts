import { describe, expect, it } from 'vitest';
import { syntheticSweep } from './synthetic';
import type { SweepRecord } from './types';
import { upgradeKept } from './upgrade';

describe('kept sweeps from an older page', () => {
  const now = syntheticSweep({ ranks: [1, 4], lr: { from: -6, to: -5, step: 1 }, includeFft: true }, () => 0.2);

  it('gain the target-module axis (not swept) and each run its target set', () => {
    const { lmTargets: _, ...oldDef } = now.def;
    const old = { ...now, def: oldDef, runs: now.runs.map(({ axes: { lmTargets: __, ...axes }, ...r }) => ({ ...r, axes })) } as unknown as SweepRecord;
    const up = upgradeKept(old);
    expect(up.def.lmTargets).toEqual([]);
    expect(up.runs.every((r) => r.axes.lmTargets === 'all')).toBe(true);
    expect(up).toEqual(now);
  });

  it('leave a current sweep as it is', () => {
    expect(upgradeKept(now)).toEqual(now);
  });
});
