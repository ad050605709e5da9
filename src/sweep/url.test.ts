import { describe, expect, it } from 'vitest';
import { DEFAULT_SWEEP } from './grid';
import { queryToSweep, splitSweepQuery, sweepToQuery } from './url';
import type { SweepDef } from './types';

const def = (p: Partial<SweepDef> = {}): SweepDef => ({ ...structuredClone(DEFAULT_SWEEP as SweepDef), ...p });

describe('sweep definition in the URL', () => {
  it('writes nothing for the default sweep', () => {
    expect(sweepToQuery(def())).toBe('');
    expect(queryToSweep('')).toEqual({ def: def(), notices: [] });
  });

  it('round-trips every axis', () => {
    const d = def({
      ranks: [1, 4],
      lr: { from: -8, to: -2.5, step: 0.25 },
      alpha: { kind: 'loraAlpha', values: [0.5, 16] },
      inits: ['initA', 'initB'],
      scalings: ['rslora'],
      targets: [[1, 2], [2]],
      lmTargets: [[0, 2, 7, 9], [13]],
      seeds: [3, 7],
      optimizers: ['sgd', 'adamw'],
      loraPlusRatios: [1, 16],
      includeFft: true,
    });
    const q = sweepToQuery(d);
    expect(q).toBe(
      'sweep.ranks=1,4&sweep.lr=-8,-2.5,0.25&sweep.loraAlpha=0.5,16&sweep.init=initA,initB&sweep.scaling=rslora&sweep.targets=1_2,2&sweep.lmTargets=0_2_7_9,13&sweep.seeds=3,7&sweep.optimizer=sgd,adamw&sweep.loraPlus=1,16&sweep.fft=1',
    );
    expect(queryToSweep(`#width=16&${q}&r=4`)).toEqual({ def: d, notices: [] });
    const eff = def({ alpha: { kind: 'alphaEff', values: [1] } });
    expect(queryToSweep(sweepToQuery(eff)).def).toEqual(eff);
  });

  it('splits the sweep keys from the settings', () => {
    expect(splitSweepQuery('#width=16&sweep.ranks=1,2&steps=20&sweep.fft=1')).toEqual({ sweep: { ranks: '1,2', fft: '1' }, rest: 'width=16&steps=20' });
    expect(splitSweepQuery('?sweep.lr=-6%2C-4%2C1').sweep).toEqual({ lr: '-6,-4,1' });
  });

  it('keeps the default for a bad value, with a notice naming the key', () => {
    const { def: d, notices } = queryToSweep('sweep.ranks=1,x&sweep.lr=-1,-5,1&sweep.init=initC&sweep.fft=maybe&sweep.bogus=1&sweep.seeds=2&sweep.lmTargets=0_14');
    expect(d).toEqual(def({ seeds: [2] }));
    expect(notices).toEqual([
      'sweep.ranks: "1,x" is not a list of positive integers; using the default',
      'sweep.lr: "-1,-5,1" is not from,to,step (log2 exponents, to >= from, step > 0); using the default',
      'sweep.init: "initC" is not a list of initA, initB, peft, gaussian; using the default',
      'sweep.fft: "maybe" is not 1 or 0; using the default',
      'unknown sweep setting "sweep.bogus" ignored',
      'sweep.lmTargets: "0_14" is not a list of cell sets like 0_2_7_9,3 (cells 0..13); using the default',
    ]);
  });
});
