/**
 * View 6, across a sweep: for each rank (and full fine-tuning) its best run, the lowest final loss among
 * the runs that ended well (as the sweep's analysis ranks them), and of that run's final inspection
 * point: the spectrum of one module's update against the truth, and its effective rank against r (rank
 * utilisation: a rank-64 adapter on an r* = 4 task using about 4 directions). Pure.
 */
import type { InspectPoint, ModuleInspect } from '../../engine/inspect';
import { outcomeOf, summarizeRun } from '../../sweep/analysis';
import type { SweepRecord, SweepRunRecord } from '../../sweep/types';
import { FFT_COLOUR, rankColour } from '../sweep/scales';
import type { LineSeries, XY } from './lines';
import type { Cell, NumberTable } from './numbers';
import { sweepRunInspect } from './select';
import { SPECTRUM_DECADES, TRUTH_COLOUR } from './spectrumData';

export interface BestRun {
  /** 'r=8' or 'FFT'. */
  name: string;
  /** The adapter's rank; null for full fine-tuning. */
  rank: number | null;
  run: SweepRunRecord;
  finalLoss: number;
  point: InspectPoint;
}

/** Per rank (ascending), then FFT: the best finished run that has a final inspection point. */
export function bestRuns(sweep: Pick<SweepRecord, 'runs'>): BestRun[] {
  const best = new Map<string, BestRun>();
  for (const run of sweep.runs) {
    const point = sweepRunInspect(run);
    if (!point) continue;
    const row = summarizeRun(run);
    if (outcomeOf(run, row) !== 'ok') continue;
    const name = run.axes.fft ? 'FFT' : `r=${run.axes.rank}`;
    const was = best.get(name);
    if (!was || row.finalLoss < was.finalLoss) best.set(name, { name, rank: run.axes.fft ? null : run.axes.rank, run, finalLoss: row.finalLoss, point });
  }
  return [...best.values()].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity));
}

/** Every module any best run inspected, in first-seen order (the module selector). */
export const sweepModules = (best: readonly BestRun[]): string[] => [...new Set(best.flatMap((b) => b.point.modules.map((m) => m.module)))];

export interface SweepSpectra {
  spectra: LineSeries[];
  spectrumDomain: [number, number];
  /** Effective rank against r for the LoRA ranks, the line y = r, and full fine-tuning's (a level). */
  util: (XY & { name: string; colour: string })[];
  diagonal: XY[];
  fftEffRank: number | null;
  trueRank: number | null;
  utilDomain: [number, number];
  table: NumberTable;
  json: string;
}

export function sweepSpectra(best: readonly BestRun[], module: string): SweepSpectra {
  const ranks = best.flatMap((b) => (b.rank === null ? [] : [b.rank]));
  const at = best.map((b) => ({ b, m: b.point.modules.find((x) => x.module === module) })).filter((e): e is { b: BestRun; m: ModuleInspect } => !!e.m);
  const truth = at.find((e) => e.m.trueSigma?.length)?.m.trueSigma ?? [];
  const top = Math.max(0, ...at.flatMap((e) => e.m.sigma), ...truth);
  const floor = top > 0 ? top * 10 ** -SPECTRUM_DECADES : 1e-6;
  const drawn = (v: readonly number[]): XY[] => v.map((y, i) => ({ x: i + 1, y: Math.max(y, floor) }));
  const colour = (b: BestRun) => (b.rank === null ? FFT_COLOUR : rankColour(b.rank, ranks));
  const spectra: LineSeries[] = at.map(({ b, m }) => ({ key: b.name, label: b.name, colour: colour(b), dash: b.rank === null ? '6 4' : undefined, points: drawn(m.sigma) }));
  if (truth.length) spectra.push({ key: 'truth', label: 'true change', colour: TRUTH_COLOUR, dash: '2 3', points: drawn(truth) });
  const lora = at.filter((e) => e.b.rank !== null);
  const util = lora.map(({ b, m }) => ({ x: b.rank!, y: m.effRank, name: b.name, colour: colour(b) }));
  const fft = at.find((e) => e.b.rank === null);
  const trueRank = truth.length || null;
  const ys = [...util.map((u) => u.y), ...ranks, fft?.m.effRank ?? 1, trueRank ?? 1].filter((v) => v > 0);
  const rows = at.map(({ b, m }): Cell[] => [b.name, b.rank, b.run.runId, b.finalLoss, m.effRank, m.sigma.join(' ')]);
  return {
    spectra,
    spectrumDomain: [floor, top > 0 ? top * 2 : 1],
    util,
    diagonal: [...new Set(ranks)].sort((a, b) => a - b).map((r) => ({ x: r, y: r })),
    fftEffRank: fft ? fft.m.effRank : null,
    trueRank,
    utilDomain: [Math.min(...ys) / 1.5, Math.max(...ys) * 1.5],
    table: { columns: ['curve', 'rank', 'run', 'final_loss', 'eff_rank', 'sigma'], rows },
    json: JSON.stringify(at.map(({ b, m }) => ({ name: b.name, rank: b.rank, runId: b.run.runId, effRank: m.effRank, sigma: m.sigma }))),
  };
}
