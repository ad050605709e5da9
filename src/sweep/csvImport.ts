/**
 * A sweep CSV (the page's own download, or the results.csv that sweep_with_peft.py writes in the same
 * columns) -> a sweep the page can view: every row a finished run with its summary (final, best and eval
 * losses) but no logged points, so the muA, optimal-lr, heatmap and table views draw it and the loss-curve
 * view has nothing to draw. A CSV has no sweep definition, so the grid's axes are read back from the runs:
 * an axis is swept where the runs hold more than one value of it. All or nothing: a bad row refuses the
 * whole file with the row and column named (csvToRows), and nothing is changed.
 */
import { alphaEff, type RunConfig } from '../config/schema';
import { formatTargetSet } from '../tasks/lmTargets';
import type { RunRow } from './analysis';
import { csvToRows } from './io';
import type { RunAxes, SweepDef, SweepRecord, SweepRunRecord } from './types';

const FINISHED: readonly RunRow['state'][] = ['done', 'diverged', 'collapsed'];

const uniq = <T>(xs: readonly T[]): T[] => [...new Map(xs.map((x) => [JSON.stringify(x), x])).values()];
const swept = <T>(xs: readonly T[]): T[] => (uniq(xs).length > 1 ? uniq(xs) : []);

/** The log2 learning-rate grid that holds every run's lr: from the smallest to the largest, by the smallest gap. */
function lrGrid(log2lrs: readonly number[]): SweepDef['lr'] {
  const xs = uniq(log2lrs).sort((a, b) => a - b);
  let step = 1;
  for (let i = 1; i < xs.length; i++) step = i === 1 ? xs[1] - xs[0] : Math.min(step, xs[i] - xs[i - 1]);
  return { from: xs[0], to: xs[xs.length - 1], step };
}

/**
 * The alpha axis, when the runs swept one: alpha_eff when it takes fewer values than lora_alpha does
 * (lora_alpha was scaled with r), otherwise lora_alpha itself. null when alpha only followed the rank.
 */
function alphaAxis(lora: readonly RunConfig[]): SweepDef['alpha'] {
  const raw = uniq(lora.map((c) => c.lora_alpha));
  const eff = uniq(lora.map(alphaEff));
  if (raw.length <= 1 || eff.length <= 1) return null;
  return eff.length < raw.length ? { kind: 'alphaEff', values: eff.sort((a, b) => a - b) } : { kind: 'loraAlpha', values: raw.sort((a, b) => a - b) };
}

function axesOf(c: RunConfig, alpha: SweepDef['alpha']): RunAxes {
  const fft = c.mode === 'fft';
  const a = fft || !alpha ? null : alpha.kind === 'alphaEff' ? alphaEff(c) : c.lora_alpha;
  return { fft, rank: c.r, log2lr: Math.log2(c.lr), alpha: a, init: c.init, scaling: c.scaling, targets: c.targets.join(','), lmTargets: formatTargetSet(c.lmTargets), seed: c.seed, optimizer: c.optimizer, loraPlusRatio: c.loraPlusRatio };
}

/** CSV text -> a sweep record (state 'imported'), or an Error naming what is wrong. */
export function csvToSweep(text: string, name: string, id: string): SweepRecord {
  const rows = csvToRows(text);
  if (rows.length === 0) throw new Error('the CSV has a header but no runs');
  const ids = new Set<string>();
  rows.forEach((r, i) => {
    if (!r.runId || ids.has(r.runId)) throw new Error(`CSV row ${i + 2}: runId "${r.runId}" is empty or repeated`);
    ids.add(r.runId);
  });
  const tasks = uniq(rows.map((r) => r.config.task));
  if (tasks.length > 1) throw new Error('the CSV mixes toy and language-model runs');
  const configs = rows.map((r) => r.config);
  const lora = configs.filter((c) => c.mode !== 'fft');
  const base = lora[0] ?? configs[0];
  const alpha = alphaAxis(lora);
  const def: SweepDef = {
    ranks: uniq(lora.map((c) => c.r)).sort((a, b) => a - b),
    lr: lrGrid(configs.map((c) => Math.log2(c.lr))),
    alpha,
    inits: swept(lora.map((c) => c.init)),
    scalings: swept(lora.map((c) => c.scaling)),
    targets: swept(configs.map((c) => [...c.targets])),
    lmTargets: swept(configs.map((c) => [...c.lmTargets])),
    seeds: swept(configs.map((c) => c.seed)),
    optimizers: swept(configs.map((c) => c.optimizer)),
    loraPlusRatios: swept(lora.map((c) => c.loraPlusRatio)),
    includeFft: configs.some((c) => c.mode === 'fft'),
  };
  const runs: SweepRunRecord[] = rows.map((r) => ({
    runId: r.runId,
    config: r.config,
    axes: axesOf(r.config, alpha),
    // A run the CSV lists unfinished (pending, stopped, failed) stays pending: the CSV has no result for it.
    status: FINISHED.includes(r.state) ? { state: r.state as 'done' | 'diverged' | 'collapsed', step: r.divergedStep ?? r.config.steps, stepsPerSec: r.stepsPerSec, finalLoss: r.finalLoss, ...(r.divergedStep !== null ? { divergedStep: r.divergedStep } : {}) } : null,
    points: [],
    summary: { finalLoss: r.finalLoss, bestLoss: r.bestLoss, evalLoss: r.evalLoss, pretrainEvalLoss: r.pretrainEvalLoss },
  }));
  return { id, name, createdAt: Date.now(), def, base, state: 'imported', runs };
}
