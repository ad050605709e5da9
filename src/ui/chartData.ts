/**
 * From runs in the store to what the loss chart draws: pure functions, unit-tested.
 * The logged points the store keeps (thinned as they arrive, store/thinPoints.ts) are all in the chart's
 * data-series attribute, for tests; what is drawn is smoothed (de-biased EMA), clipped, stripped of
 * non-finite values and downsampled.
 */
import { emaSmooth } from '../metrics/ema';
import type { RunRecord } from '../store/store';

/** Most points drawn per curve: plenty for a ~700 px wide chart, and cheap to re-render ~10x a second. */
export const MAX_PLOT_POINTS = 300;

export interface XY {
  step: number;
  y: number;
}

export interface RunCurves {
  /** Faint raw training loss (only drawn when smoothing > 0). */
  raw: XY[];
  /** Smoothed training loss (the raw loss when smoothing is 0). */
  smooth: XY[];
  /** Eval loss on the held-out set (dashed), unsmoothed: it is already an average over the whole set. */
  evalLoss: XY[];
  /** Language model: the loss on the pretraining text's held-out set (dotted), what the run forgot. */
  evalBase: XY[];
}

/** Language-model losses are drawn in bits per byte (nats / ln 2); the toy's as they are. */
export function lossUnit(run: Pick<RunRecord, 'config'>): { name: string; scale: number } {
  return run.config.task === 'lm' ? { name: 'bits per byte', scale: 1 / Math.LN2 } : { name: 'loss', scale: 1 };
}

/** The legend's name of a run: its settings, and how it ended when that is news. */
export function runTitle(run: Pick<RunRecord, 'label' | 'status'>): string {
  const s = run.status;
  if (s.state === 'diverged') return `${run.label} — diverged at step ${s.divergedStep ?? s.step}`;
  if (s.state === 'collapsed') return `${run.label} — collapsed`;
  if (s.state === 'failed') return `${run.label} — failed`;
  if (s.state === 'stopped') return `${run.label} — stopped at step ${s.step}`;
  return run.label;
}

/**
 * JSON for the chart's data-series attribute: every run's raw logged points, [step, loss, evalLoss | null,
 * pretraining-text eval loss | null] in nats (the chart draws language-model losses in bits per byte).
 */
export function seriesJson(runs: readonly RunRecord[]): string {
  return JSON.stringify(
    runs.map((r) => ({
      id: r.id,
      label: runTitle(r),
      status: r.status.state,
      task: r.config.task,
      step: liveProgress(r).step,
      points: r.points.map((p) => [p.step, p.loss, p.evalLoss ?? null, p.evalLosses?.[1] ?? null]),
    })),
  );
}

/** At most `max` points: every k-th one, always keeping the last (where the run is now). */
export function downsample<T>(pts: readonly T[], max = MAX_PLOT_POINTS): T[] {
  if (pts.length <= max) return pts.slice();
  const stride = Math.ceil(pts.length / max);
  const out: T[] = [];
  for (let i = 0; i < pts.length; i += stride) out.push(pts[i]);
  if ((pts.length - 1) % stride !== 0) out[out.length - 1] = pts[pts.length - 1];
  return out;
}

/**
 * Top of the y axis: `factor` x the largest starting loss (10x on a log axis, less on a linear one).
 * A run on its way to diverging climbs to huge finite values before it turns NaN; clipping there keeps
 * the other runs readable while the diverged one still shows, running off the top.
 */
export function yCeiling(runs: readonly RunRecord[], factor = 10): number {
  let top = 0;
  for (const r of runs) {
    const first = r.points.find((p) => Number.isFinite(p.loss));
    if (first) top = Math.max(top, first.loss * lossUnit(r).scale, ...(first.evalLosses ?? []).map((l) => l * lossUnit(r).scale));
  }
  return top > 0 ? factor * top : Infinity;
}

/** Plottable points: finite, within the ceiling (clipped to it), positive on a log axis. */
function plottable(steps: readonly number[], ys: ArrayLike<number>, ceiling: number, logY: boolean): XY[] {
  const out: XY[] = [];
  for (let i = 0; i < steps.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y) || (logY && y <= 0)) continue;
    out.push({ step: steps[i], y: Math.min(y, ceiling) });
  }
  return downsample(out);
}

/** `ceiling` is in the drawn unit (lossUnit). */
export function runCurves(run: RunRecord, smoothing: number, logY: boolean, ceiling: number): RunCurves {
  const k = lossUnit(run).scale;
  const steps = run.points.map((p) => p.step);
  const losses = run.points.map((p) => p.loss * k);
  const raw = plottable(steps, losses, ceiling, logY);
  const smooth = smoothing > 0 ? plottable(steps, emaSmooth(losses, smoothing), ceiling, logY) : raw;
  const evalOf = (get: (p: RunRecord['points'][number]) => number | undefined) => {
    const pts = run.points.filter((p) => get(p) !== undefined);
    return plottable(
      pts.map((p) => p.step),
      pts.map((p) => get(p)! * k),
      ceiling,
      logY,
    );
  };
  return { raw: smoothing > 0 ? raw : [], smooth, evalLoss: evalOf((p) => p.evalLoss), evalBase: evalOf((p) => p.evalLosses?.[1]) };
}

/** Distinct colours for up to 8 runs on screen (Okabe-Ito-like, readable on white). */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7a5195', '#444444'];

/**
 * Keeps each run's colour for its lifetime: a new run takes the first colour no run on screen uses.
 * `assigned` is the caller's memo (a ref), updated in place.
 */
export function assignColours(ids: readonly string[], assigned: Map<string, string>): Map<string, string> {
  for (const id of [...assigned.keys()]) if (!ids.includes(id)) assigned.delete(id);
  for (const id of ids) {
    if (assigned.has(id)) continue;
    const used = new Set(assigned.values());
    assigned.set(id, PALETTE.find((c) => !used.has(c)) ?? PALETTE[assigned.size % PALETTE.length]);
  }
  return assigned;
}

/**
 * The y range of everything drawn, with a little room: [0, top] on a linear axis, [low, high] on a log
 * axis. Computed here rather than by the chart so that no drawn point falls outside the axis.
 */
export function yDomain(curves: readonly RunCurves[], logY: boolean): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of curves)
    for (const p of [...c.raw, ...c.smooth, ...c.evalLoss, ...c.evalBase]) {
      lo = Math.min(lo, p.y);
      hi = Math.max(hi, p.y);
    }
  if (!(hi >= lo)) return null;
  if (logY) return lo === hi ? [lo / 2, hi * 2] : [lo / 1.15, hi * 1.15];
  return [Math.min(0, lo), hi > 0 ? niceCeil(hi * 1.02) : 1];
}

/** The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k) at or above x > 0: a tidy axis top. */
export function niceCeil(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  const m = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((k) => k * p >= x * (1 - 1e-12))!;
  return Number((m * p).toPrecision(2));
}

/**
 * Where a run is now. The engine sends a status on state changes only; while running, the step and
 * speed come with each batch of logged points, so the newer of the two is shown.
 */
export function liveProgress(run: Pick<RunRecord, 'status' | 'points'>): { step: number; stepsPerSec: number } {
  const last = run.points[run.points.length - 1];
  if (last && last.step > run.status.step) return { step: last.step, stepsPerSec: last.stepsPerSec };
  return { step: run.status.step, stepsPerSec: run.status.stepsPerSec };
}

