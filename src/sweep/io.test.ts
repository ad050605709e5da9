import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, FIELDS, TASK_PRESETS } from '../config/schema';
import { ALL_CELLS } from '../tasks/lmTargets';
import { summarizeRun } from './analysis';
import { CSV_COLUMNS, csvToRows, jsonToSweep, parseCsv, rowsToCsv, sweepToJson } from './io';
import { syntheticSweep } from './synthetic';

const sweep = syntheticSweep({ ranks: [1, 4], lr: { from: -8, to: -2, step: 3 }, alpha: { kind: 'alphaEff', values: [1] }, targets: [[1, 2], [2]], includeFft: true }, (g) =>
  g.axes.log2lr === -2 ? (g.axes.fft ? 'diverged' : 'collapsed') : g.axes.rank === 4 && g.axes.log2lr === -5 && !g.axes.fft ? 'pending' : 0.1 + 0.01 * g.config.r,
);

// A language-model sweep over two target-module sets, with both eval losses at the first and last points.
const lm = syntheticSweep(
  { ranks: [5, 24], lr: { from: -6, to: -5, step: 1 }, lmTargets: [[0, 2, 7, 9], [...ALL_CELLS]], includeFft: true },
  (g) => (g.axes.log2lr === -5 && g.axes.fft ? 'diverged' : 2 + 0.01 * g.config.r),
  { ...DEFAULT_CONFIG, ...TASK_PRESETS.lm, task: 'lm' },
  (g) => ({ first: [3.2, 1.3], last: [2.1, 1.4 + 0.001 * g.config.r] }),
);

describe('CSV', () => {
  it('has one row per run with every config field, final/best/eval loss, diverged step, steps per second', () => {
    const csv = rowsToCsv(sweep.runs.map(summarizeRun));
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual(CSV_COLUMNS);
    expect(rows[0]).toEqual(['runId', 'state', ...FIELDS.map((f) => f.key), 'finalLoss', 'bestLoss', 'evalLoss', 'pretrainEvalLoss', 'divergedStep', 'stepsPerSec']);
    expect(rows.length).toBe(1 + sweep.runs.length);
    const col = (k: string) => rows[0].indexOf(k);
    const first = rows[1];
    expect(first[col('targets')]).toBe('1,2');
    expect(csv.split('\n')[1]).toContain('"1,2"'); // a list is one quoted cell
    const diverged = rows.find((r) => r[col('state')] === 'diverged')!;
    expect(diverged[col('finalLoss')]).toBe('NaN');
    expect(Number(diverged[col('divergedStep')])).toBeGreaterThan(0);
    expect(rows.find((r) => r[col('state')] === 'pending')![col('divergedStep')]).toBe('');
  });

  it('round-trips rows exactly (NaN, lists, pending runs)', () => {
    const rows = sweep.runs.map(summarizeRun);
    expect(csvToRows(rowsToCsv(rows))).toEqual(rows);
  });

  it('writes a language-model sweep: its target cells and both eval losses, and reads it back', () => {
    const rows = lm.runs.map(summarizeRun);
    const csv = parseCsv(rowsToCsv(rows));
    const col = (k: string) => csv[0].indexOf(k);
    expect(csv[1][col('lmTargets')]).toBe('0,2,7,9');
    expect(csv[1][col('task')]).toBe('lm');
    expect(Number(csv[1][col('evalLoss')])).toBe(2.1);
    expect(Number(csv[1][col('pretrainEvalLoss')])).toBeCloseTo(1.405, 12);
    expect(csv.find((r) => r[col('state')] === 'diverged')![col('pretrainEvalLoss')]).toBe('NaN');
    expect(csvToRows(rowsToCsv(rows))).toEqual(rows);
  });

  it('parses quoted cells with commas, quotes and newlines', () => {
    expect(parseCsv('a,"b,c","d ""e""","f\ng"\r\n1,2,3,4\n')).toEqual([
      ['a', 'b,c', 'd "e"', 'f\ng'],
      ['1', '2', '3', '4'],
    ]);
  });

  it('refuses a CSV that is not a sweep, or has an invalid config', () => {
    expect(() => csvToRows('x,y\n1,2\n')).toThrow(/header row differs/);
    const csv = rowsToCsv([summarizeRun(sweep.runs[0])]).replace(/^(([^,]*,){3})128,/m, '$1' + '5000,');
    expect(() => csvToRows(csv)).toThrow(/^CSV row 2: width must be an integer in 16\.\.1024 \(got 5000\)$/);
  });
});

describe('JSON', () => {
  it('round-trips the whole sweep (definition, settings, runs, statuses, points with NaN)', () => {
    const back = jsonToSweep(sweepToJson(sweep));
    expect(back).toEqual(sweep);
    expect(back.runs.some((r) => r.points.some((p) => Number.isNaN(p.loss)))).toBe(true);
  });

  it('round-trips a language-model sweep: the target-module axis and every eval set\'s loss', () => {
    const back = jsonToSweep(sweepToJson(lm));
    expect(back).toEqual(lm);
    expect(back.def.lmTargets).toEqual([[0, 2, 7, 9], [...ALL_CELLS]]);
    expect(back.runs.map((r) => r.axes.lmTargets)).toContain('q+v');
    expect(back.runs[0].points[0].evalLosses).toEqual([3.2, 1.3]);
    const doc = JSON.parse(sweepToJson(lm));
    expect(doc.runs[0].summary.pretrainEvalLoss).toBeCloseTo(1.405, 12);
    expect(doc.runs[0].points[0]).toHaveLength(8);
    expect(doc.runs[0].points[1]).toHaveLength(7); // no eval at this point
  });

  it('carries the per-run summary for other tools', () => {
    const doc = JSON.parse(sweepToJson(sweep));
    expect(doc.format).toBe('lora-lab-sweep');
    expect(doc.definition).toBe('sweep.ranks=1,4&sweep.lr=-8,-2,3&sweep.alphaEff=1&sweep.targets=1_2,2&sweep.fft=1');
    expect(doc.runs[0].summary.finalLoss).toBeCloseTo(0.11, 12);
    expect(doc.runs.find((r: { status: { state: string } | null }) => r.status?.state === 'diverged').summary.finalLoss).toBe('NaN');
  });

  it('refuses bad files with a clear message', () => {
    const good = JSON.parse(sweepToJson(sweep));
    const bad = (patch: (d: typeof good) => void) => {
      const d = structuredClone(good);
      patch(d);
      return () => jsonToSweep(JSON.stringify(d));
    };
    expect(() => jsonToSweep('{oops')).toThrow(/^not JSON/);
    expect(() => jsonToSweep('[]')).toThrow(/not a LoRA Lab sweep file/);
    expect(bad((d) => (d.version = 9))).toThrow(/unsupported sweep file version 9/);
    expect(bad((d) => (d.runs = []))).toThrow(/"runs" must be a non-empty list/);
    expect(bad((d) => (d.runs[1].config.r = 0))).toThrow(/^sweep file: run 2: config: r must be an integer in 1\.\.128 \(got 0\)$/);
    expect(bad((d) => (d.runs[0].points[0] = [1, 2]))).toThrow(/run 1 point 1: a point must be/);
    expect(bad((d) => d.runs[0].points[0].push(3))).toThrow(/run 1 point 1: evalLosses must be a list/);
    expect(bad((d) => (d.runs[0].status.state = 'exploded'))).toThrow(/run 1: status.state must be one of/);
    expect(bad((d) => (d.runs[1].runId = d.runs[0].runId))).toThrow(/run 2: "runId" missing or repeated/);
    expect(bad((d) => (d.definition = 'sweep.ranks=x'))).toThrow(/definition: sweep.ranks/);
  });
});
