import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/schema';
import { DEFAULT_SWEEP } from '../sweep/grid';
import { keptRunProblem, keptSweepProblem, keptTensorsProblem } from './keptChecks';

const run = { runId: 's-0', config: DEFAULT_CONFIG, axes: { log2lr: -5 }, status: { state: 'done', step: 4, stepsPerSec: 1 }, points: [{ step: 1, loss: 0.5 }] };
const sweep = { id: 's', name: 'a sweep', createdAt: 1, state: 'done', def: DEFAULT_SWEEP, base: DEFAULT_CONFIG, runs: [run] };
const kept = { id: 'r', order: 1, rec: { id: 'r', label: 'r=8', config: DEFAULT_CONFIG, status: run.status, points: run.points, inspect: [] }, tensors: { A1: new Float32Array(2) } };

describe('checks of records read back from IndexedDB', () => {
  it('passes good records and names what is wrong in damaged ones', () => {
    expect(keptSweepProblem(sweep)).toBeNull();
    expect(keptRunProblem(kept)).toBeNull();
    const bad: [unknown, RegExp][] = [
      [42, /not a sweep record/],
      [{ ...sweep, runs: 'oops' }, /runs is not a non-empty list/],
      [{ ...sweep, state: 'lost' }, /state "lost" unknown/],
      [{ ...sweep, runs: [{ ...run, config: { ...DEFAULT_CONFIG, width: 'wide' } }] }, /^run 1 settings: .*width/],
      [{ ...sweep, runs: [run, { ...run, status: { state: 'done' } }] }, /^run 2 status is not a run status/],
      [{ ...sweep, runs: [{ ...run, points: [{ step: 1, loss: 0.5 }, null] }] }, /^run 1 points\[1\] is not a logged point/],
    ];
    for (const [rec, why] of bad) expect(keptSweepProblem(rec)).toMatch(why);
    expect(keptRunProblem({ ...kept, rec: { ...kept.rec, points: 7 } })).toMatch(/points is not a list/);
    expect(keptRunProblem({ ...kept, tensors: { A1: [1, 2] } })).toMatch(/tensors are damaged/);
    expect(keptRunProblem({ ...kept, rec: { ...kept.rec, id: 'other' } })).toMatch(/record is missing/);
    console.log(`kept-record checks: 2 good records pass, ${bad.length + 3} damaged ones each named`);
  });

  it('kept tensors: named float32 lists pass; anything else is named', () => {
    expect(keptTensorsProblem({ A0: new Float32Array(4), B0: new Float32Array(2) })).toBeNull();
    expect(keptTensorsProblem(null)).toBe('not a set of named tensors');
    expect(keptTensorsProblem({})).toBe('not a set of named tensors');
    expect(keptTensorsProblem([new Float32Array(2)])).toBe('not a set of named tensors');
    expect(keptTensorsProblem({ A0: new Float32Array(4), B0: [1, 2] })).toBe('tensor B0 is not a list of float32 values');
    expect(keptTensorsProblem({ A0: new Float64Array(4) })).toBe('tensor A0 is not a list of float32 values');
    expect(keptTensorsProblem({ A0: new Float32Array(0) })).toBe('tensor A0 is not a list of float32 values');
  });
});
