import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, TASK_PRESETS } from '../config/schema';
import { ALL_CELLS } from '../tasks/lmTargets';
import { analyzeSweep, summarizeRun } from './analysis';
import { csvToSweep } from './csvImport';
import { jsonToSweep, rowsToCsv, sweepToJson } from './io';
import { syntheticSweep } from './synthetic';
import type { SweepRecord } from './types';

// A toy sweep: 3 ranks x 4 learning rates plus FFT, a diverged and a collapsed corner, one run left pending.
const toy = syntheticSweep({ ranks: [1, 2, 4], lr: { from: -8, to: -2, step: 2 }, includeFft: true }, (g) =>
  g.axes.log2lr === -2 ? (g.axes.fft ? 'diverged' : 'collapsed') : g.axes.rank === 4 && g.axes.log2lr === -4 && !g.axes.fft ? 'pending' : 0.1 + 0.01 * g.config.r + 0.002 * (g.axes.log2lr + 5) ** 2,
);

const lm = syntheticSweep(
  { ranks: [5, 24], lr: { from: -6, to: -5, step: 1 }, lmTargets: [[0, 2, 7, 9], [...ALL_CELLS]] },
  (g) => 2 + 0.01 * g.config.r,
  { ...DEFAULT_CONFIG, ...TASK_PRESETS.lm, task: 'lm' },
  (g) => ({ first: [3.2, 1.3], last: [2.1, 1.4 + 0.001 * g.config.r] }),
);

const csvOf = (s: SweepRecord) => rowsToCsv(s.runs.map(summarizeRun));

/** What the charts read of a sweep: every panel's curves (points, outcomes, optima) and slope fit. */
function drawn(s: SweepRecord) {
  return analyzeSweep(s).map((p) => ({ label: p.label, fit: p.fit, curves: p.curves.map((c) => ({ name: c.name, points: c.points.map((q) => [q.x, q.y, q.outcome]), optimum: c.optimum })) }));
}

describe('a sweep CSV imported back', () => {
  it('draws the same muA curves, optima and slope as the sweep it was written from', () => {
    const back = csvToSweep(csvOf(toy), 'results', 'csv-1');
    expect(back.state).toBe('imported');
    expect(back.runs.length).toBe(toy.runs.length);
    expect(drawn(back)).toEqual(drawn(toy));
    expect(back.def.ranks).toEqual([1, 2, 4]);
    expect(back.def.lr).toEqual({ from: -8, to: -2, step: 2 });
    expect(back.def.includeFft).toBe(true);
    // Every run's table row is the CSV's, and the pending run stays pending.
    expect(back.runs.map(summarizeRun)).toEqual(toy.runs.map(summarizeRun));
    expect(back.runs.filter((r) => r.status === null).length).toBe(1);
  });

  it('keeps a language-model sweep: its target-set axis and both eval losses', () => {
    const back = csvToSweep(csvOf(lm), 'lm', 'csv-2');
    expect(back.def.lmTargets.length).toBe(2);
    expect(new Set(back.runs.map((r) => r.axes.lmTargets)).size).toBe(2);
    expect(back.runs.map(summarizeRun)).toEqual(lm.runs.map(summarizeRun));
    expect(drawn(back)).toEqual(drawn(lm));
  });

  it('survives a JSON export and import (the results live in the summary: the runs have no points)', () => {
    const back = csvToSweep(csvOf(toy), 'results', 'csv-3');
    const again = jsonToSweep(sweepToJson(back));
    expect(again.runs.map(summarizeRun)).toEqual(toy.runs.map(summarizeRun));
    expect(drawn(again)).toEqual(drawn(toy));
  });

  it('refuses the whole file on a bad row, a repeated runId, mixed tasks or no runs, naming what is wrong', () => {
    const csv = csvOf(toy);
    const lines = csv.trim().split('\n');
    expect(() => csvToSweep(`${lines[0]}\n`, 'x', 'i')).toThrow(/no runs/);
    expect(() => csvToSweep([...lines, lines[1]].join('\n') + '\n', 'x', 'i')).toThrow(new RegExp(`row ${lines.length + 1}: runId .* repeated`));
    expect(() => csvToSweep([lines[0], lines[1].replace(',toy,', ',tiny,')].join('\n') + '\n', 'x', 'i')).toThrow(/row 2/);
    const mixed = [lines[0], lines[1], csvOf(lm).split('\n')[1].replace(/^s-0,/, 'lm-0,')].join('\n') + '\n';
    expect(() => csvToSweep(mixed, 'x', 'i')).toThrow(/mixes toy and language-model/);
  });
});
