/**
 * A sweep's PyTorch grid export: the zip's files, and sweep_with_peft.py run on a 4-run grid (width 16, 10
 * steps) from the bundle's own files. Its results.csv must be the page's sweep CSV (the header byte for
 * byte; every row written back by the page's rowsToCsv gives the same bytes; csvToRows reads it, so the
 * page imports it), each run's final, best and eval loss must be the CPU reference trainer's
 * (src/ref/trainer.ts) within 1e-4 relative (float32 against float64, as trainParity.test.ts), a second
 * start must skip every run, and --shard 0/2 plus --shard 1/2 must give every run once.
 * Without .venv the Python test skips with the reason, except in CI (process.env.CI), where it fails.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { validateConfig, type RunConfig } from '../config/schema';
import { buildTask } from '../tasks/toy';
import { buildSetup, hyperAt, stepInputs } from '../engine/setup';
import { endState } from '../engine/runLoop';
import { CpuTrainer } from '../ref/trainer';
import type { MetricPoint, RunStatus } from '../engine/protocol';
import { summarizeRun, type RunRow } from '../sweep/analysis';
import { CSV_COLUMNS, csvToRows, rowsToCsv } from '../sweep/io';
import { syntheticSweep } from '../sweep/synthetic';
import type { SweepRecord, SweepRunRecord } from '../sweep/types';
import { needPython, runPython, writeTempFolder } from '../test/python';
import { gridExportBlocker, sweepBundleFiles, sweepBundleZip } from './sweepBundle';

const LOSS_RTOL = 1e-4;

function baseConfig(patch: Partial<RunConfig> = {}): RunConfig {
  const { config, errors } = validateConfig({ width: 16, layers: 2, dIn: 8, dOut: 4, trueRank: 2, r: 2, lora_alpha: 2, evalSize: 32, batch: 16, steps: 10, logEvery: 1, seed: 5, ...patch });
  if (errors.length) throw new Error(errors.join('; '));
  return config;
}

/** 4 pending runs: ranks 2 and 4 by learning rates 2^-6 and 2^-5. */
const sweep = (): SweepRecord => ({ ...syntheticSweep({ ranks: [2, 4], lr: { from: -6, to: -5, step: 1 } }, () => 'pending', baseConfig()), name: 'grid test' });

/**
 * The page's result for one run (logEvery 1): the CPU reference trainer's points, up to the step where
 * the run diverged (where the page ends it), summarised as the page does.
 */
function pageRow(run: SweepRunRecord): RunRow {
  const cfg = run.config;
  const task = buildTask(cfg);
  const tr = new CpuTrainer(buildSetup(cfg, task));
  const points: MetricPoint[] = [];
  for (let t = 1; t <= cfg.steps && !points.at(-1)?.divergedStep; t++) points.push({ ...tr.step({ t, hypers: [hyperAt(cfg, t)], x: stepInputs(cfg, task, t) }, true), lr: 0, stepsPerSec: 1 });
  const last = points.at(-1)!;
  const status: RunStatus = last.divergedStep ? { state: 'diverged', step: last.step, stepsPerSec: 1, divergedStep: last.divergedStep } : { ...endState(points.map((p) => p.loss)), step: cfg.steps, stepsPerSec: 1 };
  return summarizeRun({ ...run, status, points });
}

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('sweep PyTorch grid bundle', () => {
  it('holds the scripts, grid.json with every run and the page CSV columns, and a README', () => {
    const s = sweep();
    const files = unzipSync(sweepBundleZip(s, '0.0.0'));
    expect(Object.keys(files).sort()).toEqual(['README.md', 'grid.json', 'sweep_with_peft.py', 'toy_task.py', 'train_common.py', 'train_with_peft.py']);
    const grid = JSON.parse(new TextDecoder().decode(files['grid.json']));
    expect(grid.columns).toEqual(CSV_COLUMNS);
    expect(grid.runs).toEqual(s.runs.map((r) => ({ runId: r.runId, config: r.config })));
    expect(new TextDecoder().decode(files['README.md'])).toContain('--shard i/n');
    expect(gridExportBlocker(s)).toBeNull();
    expect(gridExportBlocker({ runs: [s.runs[0], { ...s.runs[1], config: { ...s.runs[1].config, task: 'lm' } }] })).toMatch(/mixes toy and language-model/);
  });

  it('sweep_with_peft.py: results.csv is the page sweep CSV, losses match the reference, resumable, sharded', (ctx) => {
    const py = needPython(ctx);
    const s = sweep();
    const dir = writeTempFolder(sweepBundleFiles(s, '0.0.0'), 'lora-lab-sweep-');
    const run = (out: string, ...flags: string[]) => {
      const r = runPython(py, [join(dir, 'sweep_with_peft.py'), '--grid', join(dir, 'grid.json'), '--out', join(dir, out), ...flags], undefined, 300_000);
      expect(r.code, r.out.slice(-3000)).toBe(0);
      return { log: r.out, csv: readFileSync(join(dir, out, 'results.csv'), 'utf8') };
    };

    const first = run('all');
    const header = first.csv.split('\n')[0] + '\n';
    expect(header).toBe(rowsToCsv([])); // the page's header, byte for byte
    const rows = csvToRows(first.csv); // what the page's importer reads
    expect(rowsToCsv(rows)).toBe(first.csv); // every cell formatted as the page formats it
    expect(rows.map((r) => r.runId)).toEqual(s.runs.map((r) => r.runId));

    const report: string[] = [];
    for (const [k, row] of rows.entries()) {
      expect(row.config).toEqual(s.runs[k].config);
      const page = pageRow(s.runs[k]);
      expect(row.state).toBe(page.state);
      expect(row.divergedStep).toBeNull();
      expect(Number.isNaN(row.pretrainEvalLoss)).toBe(true);
      const rel = Math.max(relDiff(row.finalLoss, page.finalLoss), relDiff(row.bestLoss, page.bestLoss), relDiff(row.evalLoss, page.evalLoss));
      report.push(`${row.runId} (r ${row.config.r}, lr 2^${Math.log2(row.config.lr)}): final loss ${row.finalLoss.toPrecision(6)} vs page ${page.finalLoss.toPrecision(6)}, worst rel ${rel.toExponential(2)}`);
      expect(rel).toBeLessThanOrEqual(LOSS_RTOL);
    }
    console.log(`sweep_with_peft.py vs the page's reference trainer:\n  ${report.join('\n  ')}`);

    const again = run('all');
    expect(again.csv).toBe(first.csv); // nothing new
    expect(again.log).toContain('4 runs, shard 0/1: 4, 4 already in');

    run('sharded', '--shard', '0/2');
    const halves = run('sharded', '--shard', '1/2');
    const sharded = csvToRows(halves.csv);
    expect(sharded.map((r) => r.runId).sort()).toEqual(s.runs.map((r) => r.runId).sort());
    // the same computation on the same CPU: the same losses
    for (const r of sharded) expect(r.finalLoss).toBe(rows.find((q) => q.runId === r.runId)!.finalLoss);
  }, 400_000);

  it('a diverging run ends as on the page: state diverged, the same first bad step and final loss', (ctx) => {
    const py = needPython(ctx);
    // Adam at lr 16 without clipping: the loss passes the divergence bound (1e4) at step 3 (3.4e4)
    const s = { ...syntheticSweep({ ranks: [2], lr: { from: 4, to: 4, step: 1 } }, () => 'pending', baseConfig({ clip: 0 })), name: 'diverging' };
    const dir = writeTempFolder(sweepBundleFiles(s, '0.0.0'), 'lora-lab-sweep-div-');
    const r = runPython(py, [join(dir, 'sweep_with_peft.py'), '--grid', join(dir, 'grid.json'), '--out', join(dir, 'out')], undefined, 300_000);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const [row] = csvToRows(readFileSync(join(dir, 'out', 'results.csv'), 'utf8'));
    const page = pageRow(s.runs[0]);
    expect([row.state, row.divergedStep]).toEqual(['diverged', 3]);
    expect([page.state, page.divergedStep]).toEqual(['diverged', 3]);
    console.log(`diverging run: final loss ${row.finalLoss} vs page ${page.finalLoss}`);
    expect(relDiff(row.finalLoss, page.finalLoss)).toBeLessThanOrEqual(LOSS_RTOL);
  }, 300_000);
});
