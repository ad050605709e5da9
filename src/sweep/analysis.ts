/**
 * From a sweep's runs to what its charts show (TOY_TASK.md "Things to know when you show results"):
 * - each run's final loss (de-biased EMA over the last 10% of logged points), best loss, eval loss, and
 *   its outcome: ok, diverged (NaN/Inf), collapsed (ended above its starting loss) or pending;
 * - loss-vs-log2(lr) curves, one per rank (and FFT), grouped into panels by the other axes, seeds averaged;
 * - each curve's optimum: the vertex of a parabola fitted to log(loss) at the best point and its neighbours
 *   against log2(lr),
 *   marked unreliable when the curve is too flat there, the rank is below the true rank, or the best
 *   point sits at the edge of the grid;
 * - per panel, the least-squares slope of log2(optimal lr) against log2(r) over reliable optima.
 */
import { finalLoss } from '../metrics/ema';
import type { RunState } from '../engine/protocol';
import type { InitScheme, RunConfig } from '../config/schema';
import { fitLine, fitParabola, parabolaAt, parabolaVertex, type Line } from './fit';
import { predictedSlope, type Prediction } from './theory';
import type { RunAxes, SweepRecord, SweepRunRecord } from './types';

export type Outcome = 'ok' | 'diverged' | 'collapsed' | 'pending';

/** One run's results: what the table, the CSV and the hover card show. */
export interface RunRow {
  runId: string;
  state: RunState | 'pending';
  config: RunConfig;
  finalLoss: number;
  bestLoss: number;
  evalLoss: number;
  /** The language model's last held-out loss on its pretraining text (what it forgot); NaN for the toy. */
  pretrainEvalLoss: number;
  divergedStep: number | null;
  stepsPerSec: number;
}

export function summarizeRun(rec: SweepRunRecord): RunRow {
  if (rec.summary && rec.points.length === 0) {
    const s = rec.status;
    return { runId: rec.runId, state: s?.state ?? 'pending', config: rec.config, ...rec.summary, divergedStep: s?.divergedStep ?? null, stepsPerSec: s?.stepsPerSec ?? NaN };
  }
  const losses = rec.points.map((p) => p.loss);
  let best = Infinity;
  for (const y of losses) if (Number.isFinite(y) && y < best) best = y;
  let evalLoss = NaN;
  let pretrainEvalLoss = NaN;
  for (const p of rec.points) {
    if (p.evalLoss !== undefined) evalLoss = p.evalLoss;
    if (p.evalLosses?.[1] !== undefined) pretrainEvalLoss = p.evalLosses[1];
  }
  const diverged = rec.status?.divergedStep ?? rec.points.find((p) => p.divergedStep > 0)?.divergedStep ?? null;
  return {
    runId: rec.runId,
    state: rec.status?.state ?? 'pending',
    config: rec.config,
    finalLoss: losses.length ? finalLoss(losses) : (rec.status?.finalLoss ?? NaN),
    bestLoss: best === Infinity ? NaN : best,
    evalLoss,
    pretrainEvalLoss,
    divergedStep: diverged,
    stepsPerSec: rec.status?.stepsPerSec ?? rec.points.at(-1)?.stepsPerSec ?? NaN,
  };
}

/** How a run ended, for the charts. The engine's label wins; a non-finite final loss is divergence. */
export function outcomeOf(rec: SweepRunRecord, row = summarizeRun(rec)): Outcome {
  const s = rec.status?.state;
  if (s === 'diverged') return 'diverged';
  if (s === 'collapsed') return 'collapsed';
  if (s !== 'done') return 'pending';
  if (!Number.isFinite(row.finalLoss)) return 'diverged';
  const first = rec.points.find((p) => Number.isFinite(p.loss))?.loss;
  return first !== undefined && row.finalLoss > first ? 'collapsed' : 'ok';
}

export interface CurvePoint {
  x: number; // log2(lr)
  y: number; // final loss (mean over seeds of the ok runs); NaN when no run is ok
  outcome: Outcome;
  runIds: string[];
}

export interface Optimum {
  x: number;
  y: number;
  reliable: boolean;
  why?: string;
}

export interface Curve {
  id: string;
  name: string; // "r=4" or "FFT"
  fft: boolean;
  rank: number | null;
  points: CurvePoint[];
  optimum: Optimum | null;
}

export interface Panel {
  key: string;
  label: string; // the axes that tell panels apart, '' when there is one panel
  curves: Curve[];
  fit: Line | null;
  predicted: Prediction;
  /** The panel's init scheme: the muA rule and whether it ties LoRA's optimum to FFT's depend on it. */
  init: InitScheme;
}

export interface OptimumOptions {
  /** Neighbours on each side of the best point used in the parabola fit. */
  window: number;
  /** Minimum relative rise of the fitted curve one grid step from its minimum: below it the curve is too flat. */
  minDepth: number;
  /** Ranks below this (the task's true rank) cannot fit the target: their optima are unreliable. */
  trueRank: number;
}

export const DEFAULT_OPTIMUM: OptimumOptions = { window: 1, minDepth: 0.02, trueRank: 0 };

/** The optimum of one curve (see the top of this file); null when no point is ok. */
export function curveOptimum(points: readonly CurvePoint[], rank: number | null, opts: OptimumOptions = DEFAULT_OPTIMUM): Optimum | null {
  const all = [...points].sort((p, q) => p.x - q.x);
  const ok = all.filter((p) => p.outcome === 'ok' && Number.isFinite(p.y));
  if (ok.length === 0) return null;
  let j = 0;
  for (let i = 1; i < ok.length; i++) if (ok[i].y < ok[j].y) j = i;
  const best = ok[j];
  const lowRank = rank !== null && rank < opts.trueRank ? `rank ${rank} is below the true rank ${opts.trueRank}` : undefined;
  const mark = (o: Optimum): Optimum => (lowRank && o.reliable ? { ...o, reliable: false, why: lowRank } : o);
  if (ok.length < 3) return mark({ x: best.x, y: best.y, reliable: false, why: 'too few finished points' });
  const beyond = (side: -1 | 1) => all.some((p) => (side < 0 ? p.x < best.x : p.x > best.x) && (p.outcome === 'diverged' || p.outcome === 'collapsed'));
  if (j === 0 || j === ok.length - 1) {
    // The best point has ok neighbours on one side only. If runs beyond it blew up, the optimum sits
    // at the edge of stability (common: collapse begins about an octave above the optimum).
    const side = j === 0 ? -1 : 1;
    if (beyond(side)) {
      const next = ok[j - side];
      const depth = (next.y - best.y) / best.y;
      return mark(depth < opts.minDepth ? { x: best.x, y: best.y, reliable: false, why: flat(depth) } : { x: best.x, y: best.y, reliable: true });
    }
    return mark({ x: best.x, y: best.y, reliable: false, why: `best point at the ${side < 0 ? 'low' : 'high'} edge of the learning-rate grid` });
  }
  const lo = Math.max(0, j - opts.window);
  const hi = Math.min(ok.length - 1, j + opts.window);
  const win = ok.slice(lo, hi + 1);
  // The fit is in log(loss): losses span orders of magnitude across a learning-rate sweep (the chart's
  // y axis is logarithmic too), and a parabola in log space is what looks like one on that chart.
  const par = fitParabola(
    win.map((p) => p.x),
    win.map((p) => Math.log(p.y)),
  );
  const vx = par ? parabolaVertex(par) : null;
  if (!par || vx === null) {
    const depth = (Math.min(ok[j - 1].y, ok[j + 1].y) - best.y) / best.y;
    return mark(depth >= opts.minDepth ? { x: best.x, y: best.y, reliable: true } : { x: best.x, y: best.y, reliable: false, why: flat(depth) });
  }
  // Least squares over more than 3 points can put the vertex outside the neighbours: keep it between them.
  const x = Math.min(ok[j + 1].x, Math.max(ok[j - 1].x, vx));
  const y = Math.exp(parabolaAt(par, x));
  // Depth: the fitted curve's relative rise one grid step away from its minimum.
  const h = (ok[j + 1].x - ok[j - 1].x) / 2;
  const depth = Math.expm1(par.a * h * h);
  return mark(depth < opts.minDepth ? { x, y, reliable: false, why: flat(depth) } : { x, y, reliable: true });
}

const flat = (depth: number) => `curve too flat around its best point (${(100 * depth).toFixed(1)}% rise one grid step away)`;

/** Seeds averaged: the mean final loss of the ok runs when at least half of them are ok. */
function aggregate(x: number, runs: { runId: string; y: number; outcome: Outcome }[]): CurvePoint {
  const ok = runs.filter((r) => r.outcome === 'ok');
  const bad = runs.filter((r) => r.outcome === 'diverged' || r.outcome === 'collapsed');
  const runIds = runs.map((r) => r.runId);
  if (ok.length > 0 && ok.length >= bad.length) return { x, y: ok.reduce((a, r) => a + r.y, 0) / ok.length, outcome: 'ok', runIds };
  if (bad.length > 0) {
    const div = bad.filter((r) => r.outcome === 'diverged').length;
    return { x, y: NaN, outcome: div * 2 >= bad.length ? 'diverged' : 'collapsed', runIds };
  }
  return { x, y: NaN, outcome: 'pending', runIds };
}

/** The axes that make a panel (everything but rank, lr and seed); FFT runs only share targets and optimizer. */
function panelParts(a: RunAxes): Record<string, string | number | null> {
  return { alpha: a.alpha, init: a.init, scaling: a.scaling, loraPlus: a.loraPlusRatio, targets: a.targets, modules: a.lmTargets, optimizer: a.optimizer };
}
const SHARED = ['targets', 'modules', 'optimizer'];

/** The key of the panel a LoRA run belongs to (Panel.key). */
export function panelKey(a: RunAxes): string {
  return JSON.stringify(panelParts(a));
}

/** Every panel of the sweep, with its curves, optima, slope fit and the muA prediction. */
export function analyzeSweep(sweep: Pick<SweepRecord, 'runs' | 'def' | 'base'>, opts: Partial<OptimumOptions> = {}): Panel[] {
  // The true rank is the toy's (its hidden change); the language model has none to fall short of.
  const o: OptimumOptions = { ...DEFAULT_OPTIMUM, trueRank: sweep.base.task === 'lm' ? 0 : sweep.base.trueRank, ...opts };
  const lora = sweep.runs.filter((r) => !r.axes.fft);
  const fft = sweep.runs.filter((r) => r.axes.fft);
  const panels = new Map<string, { parts: Record<string, string | number | null>; runs: SweepRunRecord[] }>();
  for (const r of lora) {
    const parts = panelParts(r.axes);
    const key = panelKey(r.axes);
    if (!panels.has(key)) panels.set(key, { parts, runs: [] });
    panels.get(key)!.runs.push(r);
  }
  const varying = Object.keys(panelParts(lora[0]?.axes ?? fft[0]?.axes ?? ({} as RunAxes))).filter(
    (k) => new Set([...panels.values()].map((p) => JSON.stringify(p.parts[k]))).size > 1,
  );
  const alphaKind = sweep.def.alpha?.kind ?? 'loraAlpha';
  return [...panels.entries()].map(([key, p]) => {
    const sameShared = (r: SweepRunRecord) => SHARED.every((k) => JSON.stringify(panelParts(r.axes)[k]) === JSON.stringify(p.parts[k]));
    const ranks = [...new Set(p.runs.map((r) => r.axes.rank))].sort((a, b) => a - b);
    const curves: Curve[] = ranks.map((rank) => makeCurve(`r=${rank}`, rank, p.runs.filter((r) => r.axes.rank === rank), o));
    const fftRuns = fft.filter(sameShared);
    if (fftRuns.length) curves.push(makeCurve('FFT', null, fftRuns, o));
    const reliable = curves.filter((c) => !c.fft && c.optimum?.reliable);
    const fit = fitLine(
      reliable.map((c) => Math.log2(c.rank!)),
      reliable.map((c) => c.optimum!.x),
    );
    const label = varying.map((k) => `${k}=${p.parts[k]}`).join(' · ');
    const first = p.runs[0].axes;
    return { key, label, curves, fit, predicted: predictedSlope(first.init, first.scaling, alphaKind), init: first.init };
  });
}

function makeCurve(name: string, rank: number | null, runs: SweepRunRecord[], o: OptimumOptions): Curve {
  const byX = new Map<number, { runId: string; y: number; outcome: Outcome }[]>();
  for (const r of runs) {
    const row = summarizeRun(r);
    const list = byX.get(r.axes.log2lr) ?? [];
    list.push({ runId: r.runId, y: row.finalLoss, outcome: outcomeOf(r, row) });
    byX.set(r.axes.log2lr, list);
  }
  const points = [...byX.entries()].sort((a, b) => a[0] - b[0]).map(([x, list]) => aggregate(x, list));
  return { id: `${name}`, name, fft: rank === null, rank, points, optimum: curveOptimum(points, rank, o) };
}
