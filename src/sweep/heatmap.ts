/**
 * Final loss over two axes of a sweep (e.g. alpha x rank, as in the Determined AI study). A cell holds
 * the best (lowest) ok final loss over every other axis, so a sweep with more than two axes still reads
 * as "the best you can get at this pair"; a cell with no ok run shows how its runs ended.
 */
import { outcomeOf, summarizeRun, type Outcome } from './analysis';
import type { RunAxes, SweepRunRecord } from './types';

export type HeatAxis = 'rank' | 'log2lr' | 'alpha' | 'init' | 'scaling' | 'targets' | 'lmTargets' | 'seed' | 'optimizer' | 'loraPlusRatio';

export const HEAT_AXIS_LABEL: Record<HeatAxis, string> = {
  rank: 'rank r',
  log2lr: 'log2(lr)',
  alpha: 'alpha',
  init: 'init',
  scaling: 'scaling',
  targets: 'target layers',
  lmTargets: 'target modules',
  seed: 'seed',
  optimizer: 'optimizer',
  loraPlusRatio: 'LoRA+ ratio',
};

export interface HeatCell {
  x: string;
  y: string;
  value: number; // NaN when no run is ok
  outcome: Outcome;
  runId: string | null; // the best run of the cell
}

export interface Heatmap {
  xs: string[];
  ys: string[];
  cells: HeatCell[];
  best: HeatCell | null;
}

const valueOf = (a: RunAxes, k: HeatAxis): string => String(a[k]);

/** Axis values sorted numerically when they are numbers, else in order of appearance. */
function ordered(values: string[]): string[] {
  const uniq = [...new Set(values)];
  return uniq.every((v) => v !== 'null' && Number.isFinite(Number(v))) ? uniq.sort((a, b) => Number(a) - Number(b)) : uniq;
}

/** The axes that take more than one value among the LoRA runs (the ones worth a heatmap). */
export function sweptAxes(runs: readonly SweepRunRecord[]): HeatAxis[] {
  const lora = runs.filter((r) => !r.axes.fft);
  return (Object.keys(HEAT_AXIS_LABEL) as HeatAxis[]).filter((k) => new Set(lora.map((r) => valueOf(r.axes, k))).size > 1);
}

export function buildHeatmap(runs: readonly SweepRunRecord[], xAxis: HeatAxis, yAxis: HeatAxis): Heatmap {
  const lora = runs.filter((r) => !r.axes.fft);
  const xs = ordered(lora.map((r) => valueOf(r.axes, xAxis)));
  const ys = ordered(lora.map((r) => valueOf(r.axes, yAxis)));
  const cells: HeatCell[] = [];
  let best: HeatCell | null = null;
  for (const y of ys)
    for (const x of xs) {
      const inCell = lora.filter((r) => valueOf(r.axes, xAxis) === x && valueOf(r.axes, yAxis) === y);
      let cell: HeatCell = { x, y, value: NaN, outcome: 'pending', runId: null };
      for (const r of inCell) {
        const row = summarizeRun(r);
        const o = outcomeOf(r, row);
        if (o === 'ok' && !(row.finalLoss >= cell.value)) cell = { x, y, value: row.finalLoss, outcome: 'ok', runId: r.runId };
        else if (cell.outcome !== 'ok' && o !== 'pending') cell = { x, y, value: NaN, outcome: o, runId: r.runId };
      }
      cells.push(cell);
      if (cell.outcome === 'ok' && (!best || cell.value < best.value)) best = cell;
    }
  return { xs, ys, cells, best };
}
