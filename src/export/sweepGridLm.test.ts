/**
 * A language-model sweep's PyTorch grid: the zip's files (base/ and data/ as a run's language-model bundle
 * ships them, fetched by loadLmGridAssets, here from public/ on disk through a stubbed fetch), and
 * sweep_with_peft.py run on a 2-run grid (ranks 1 and 2, 3 steps of 2 windows of 16 bytes) from the zip's
 * own files. Its results.csv must be the page's sweep CSV (the header byte for byte, both rows, read back
 * by csvToRows and made a sweep by csvToSweep with both eval losses), each run's final, best and both eval
 * losses must be the CPU reference trainer's (src/ref/lmTrainer.ts, float64; PyTorch in float32) within
 * 1e-4 relative, and a second start must skip both runs. The blocker refuses a sweep on the user's own
 * text. Without .venv the Python test skips with the reason, except in CI (process.env.CI), where it fails.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { validateConfig, type RunConfig } from '../config/schema';
import { endState } from '../engine/runLoop';
import type { MetricPoint, RunStatus } from '../engine/protocol';
import { LmCpuTrainer } from '../ref/lmTrainer';
import type { LlamaWeights } from '../ref/llama';
import { summarizeRun, type RunRow } from '../sweep/analysis';
import { csvToSweep } from '../sweep/csvImport';
import { csvToRows, rowsToCsv } from '../sweep/io';
import { syntheticSweep } from '../sweep/synthetic';
import type { SweepRecord, SweepRunRecord } from '../sweep/types';
import { llamaShapeFromConfig } from '../tasks/llamaConfig';
import { lmTaskFrom } from '../tasks/lmTask';
import { splitText } from '../tasks/textData';
import { needPython, writeTempFolder } from '../test/python';
import { readSafetensors } from './safetensors';
import { gridExportBlocker, sweepBundleFiles, sweepBundleZip, type LmGridAssets } from './sweepBundle';
import { loadLmGridAssets } from './sweepGridAssets';

const LOSS_RTOL = 1e-4;
const PUBLIC = new URL('../../public/', import.meta.url);
const asset = (p: string) => new Uint8Array(readFileSync(new URL(p, PUBLIC)));

function lmConfig(patch: Partial<RunConfig> = {}): RunConfig {
  const { config, errors } = validateConfig({ task: 'lm', lmData: 'shakespeare', seqLen: 16, batch: 2, steps: 3, logEvery: 1, r: 1, lora_alpha: 4, lr: 2 ** -5, seed: 3, lmTargets: [7, 9], ...patch });
  if (errors.length) throw new Error(errors.join('; '));
  return config;
}

/** 2 pending runs: ranks 1 and 2 at lr 2^-5. */
const sweep = (patch: Partial<RunConfig> = {}): SweepRecord => ({ ...syntheticSweep({ ranks: [1, 2], lr: { from: -5, to: -5, step: 1 } }, () => 'pending', lmConfig(patch)), name: 'lm grid test' });

/** loadLmGridAssets with the page's fetch answered from public/ on disk. */
async function assetsFromDisk(s: SweepRecord): Promise<LmGridAssets> {
  vi.stubGlobal('fetch', async (url: string) => new Response(readFileSync(new URL(url.replace(/^\//, ''), PUBLIC))));
  return loadLmGridAssets(s);
}
afterEach(() => vi.unstubAllGlobals());

/** The page's result for one run: the CPU reference's every step (both evals at the last), summarised as the page does. */
function pageRow(run: SweepRunRecord, a: LmGridAssets): RunRow {
  const cfg = run.config;
  const weights: LlamaWeights = {};
  for (const [name, t] of readSafetensors(a.base.safetensors).tensors) weights[name] = t.data!;
  const base = { shape: llamaShapeFromConfig(JSON.parse(a.base.config)), weights };
  const tr = new LmCpuTrainer(cfg, lmTaskFrom(cfg, base, asset('data/tinyshakespeare.txt'), asset('data/kjv.txt')));
  const points: MetricPoint[] = [];
  for (let t = 1; t <= cfg.steps; t++) {
    const l = tr.step(t, t === cfg.steps);
    points.push({ step: t, loss: l.loss, gradNorm: l.gradNorm, divergedStep: l.divergedStep, lr: 0, stepsPerSec: 1, ...(l.evalLosses ? { evalLoss: l.evalLosses[0], evalLosses: l.evalLosses } : {}) } as MetricPoint);
  }
  const status: RunStatus = { ...endState(points.map((p) => p.loss)), step: cfg.steps, stepsPerSec: 1 };
  return summarizeRun({ ...run, status, points });
}

/**
 * Python without blocking, so that the reference trains meanwhile (as lmTrainParity.test.ts), on one
 * thread (the reference takes the other core); its output goes to a file, read when it ends.
 */
function pythonAsync(py: string, args: string[], log: string, timeout: number): Promise<{ code: number; out: string }> {
  const fd = openSync(log, 'w');
  return new Promise((resolve) => {
    const p = spawn(py, args, { timeout, stdio: ['ignore', fd, fd], env: { ...process.env, OMP_NUM_THREADS: '1' } });
    p.on('close', (code) => {
      closeSync(fd);
      resolve({ code: code ?? -1, out: readFileSync(log, 'utf8') });
    });
  });
}

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

describe("a language-model sweep's PyTorch grid", () => {
  it('holds the LM script, base/ and data/ as the LM bundle ships them; a sweep on your own text is refused', async () => {
    const s = sweep();
    expect(gridExportBlocker(s)).toBeNull();
    expect(gridExportBlocker(sweep({ lmData: 'user' }))).toMatch(/your own text/);
    const kjv = asset('data/kjv.txt');
    const a = await assetsFromDisk(s);
    const files = unzipSync(sweepBundleZip(s, '0.0.0', a));
    expect(Object.keys(files).sort()).toEqual([
      'README.md', 'base/config.json', 'base/generation_config.json', 'base/model.safetensors', 'data/finetune.txt', 'data/pretrain_heldout.txt',
      'grid.json', 'lm_task.py', 'sweep_with_peft.py', 'toy_task.py', 'train_common.py', 'train_lm_with_peft.py', 'train_with_peft.py',
    ]);
    const same = [
      ...['config.json', 'generation_config.json', 'model.safetensors'].map((f) => equalBytes(files[`base/${f}`], asset(`models/tiny-llama-kjv/${f}`))),
      equalBytes(files['data/finetune.txt'], asset('data/tinyshakespeare.txt')),
      equalBytes(files['data/pretrain_heldout.txt'], splitText(kjv).heldOut),
      equalBytes((await assetsFromDisk(sweep({ lmData: 'kjv' }))).fineTune, kjv),
    ];
    console.log(`LM grid zip: ${Object.keys(files).length} files, ${files['base/model.safetensors'].length} bytes of base weights, pretrain held-out ${files['data/pretrain_heldout.txt'].length} bytes; byte-equal: ${same.join(' ')}`);
    expect(same.every(Boolean)).toBe(true);
    expect(new TextDecoder().decode(files['README.md'])).toContain('train_lm_with_peft.py');
    expect(() => sweepBundleFiles(s, '0.0.0')).toThrow(/base model/);
  });

  it('sweep_with_peft.py: results.csv is the page sweep CSV, both eval losses match the reference, resumable', async (ctx) => {
    const py = needPython(ctx);
    const s = sweep();
    const a = await assetsFromDisk(s);
    const dir = writeTempFolder(sweepBundleFiles(s, '0.0.0', a), 'lora-lab-lmgrid-');
    const args = [join(dir, 'sweep_with_peft.py'), '--grid', join(dir, 'grid.json'), '--out', join(dir, 'out')];
    const t0 = performance.now();
    const python = (log: string) => pythonAsync(py, args, join(dir, log), 300_000);
    const first = python('first.log');
    const pages = s.runs.map((r) => pageRow(r, a));
    const refS = (performance.now() - t0) / 1000;
    const r = await first;
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const csv = readFileSync(join(dir, 'out', 'results.csv'), 'utf8');
    expect(csv.split('\n')[0] + '\n').toBe(rowsToCsv([])); // the page's header, byte for byte
    const rows = csvToRows(csv);
    expect(rowsToCsv(rows)).toBe(csv);
    expect(rows.map((x) => x.runId)).toEqual(s.runs.map((x) => x.runId));
    const imported = csvToSweep(csv, 'results', 'imp');
    expect(imported.runs.map((x) => [x.summary?.evalLoss, x.summary?.pretrainEvalLoss])).toEqual(rows.map((x) => [x.evalLoss, x.pretrainEvalLoss]));

    const report: string[] = [];
    for (const [k, row] of rows.entries()) {
      const page = pages[k];
      expect(row.config).toEqual(s.runs[k].config);
      expect(row.state).toBe(page.state);
      const keys = ['finalLoss', 'bestLoss', 'evalLoss', 'pretrainEvalLoss'] as const;
      const rel = Math.max(...keys.map((key) => relDiff(row[key], page[key])));
      report.push(`r ${row.config.r}: final ${row.finalLoss.toPrecision(6)} vs ${page.finalLoss.toPrecision(6)}, eval ${row.evalLoss.toPrecision(6)}, pretrain eval ${row.pretrainEvalLoss.toPrecision(6)}, worst rel ${rel.toExponential(2)}`);
      expect(rel).toBeLessThanOrEqual(LOSS_RTOL);
    }
    expect(rows[0].finalLoss).not.toBe(rows[1].finalLoss); // the rank reached the runs
    const again = await python('again.log');
    expect(again.code, again.out.slice(-3000)).toBe(0);
    expect(readFileSync(join(dir, 'out', 'results.csv'), 'utf8')).toBe(csv);
    expect(again.out).toContain('2 runs, shard 0/1: 2, 2 already in');
    console.log(`LM grid via sweep_with_peft.py vs the page's reference (reference ${refS.toFixed(1)} s, total ${((performance.now() - t0) / 1000).toFixed(1)} s):\n  ${report.join('\n  ')}`);
  }, 300_000);
});
