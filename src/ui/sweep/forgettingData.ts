/**
 * What the learned-vs-forgotten scatter draws (the trade-off of Biderman et al. 2024): one dot per
 * finished language-model run, its held-out loss on the fine-tuning text across (left = learned more)
 * and on the pretraining text up (higher = forgot more), in bits per byte; one series per curve (ranks
 * on the muA chart's colour scale, FFT red; curves that differ in another axis, such as the target
 * modules, get different marker shapes), each curve's best run (lowest fine-tuning-text loss) marked, and
 * the base model's two losses as reference lines (only the pretraining text's sets the axis: the base's
 * fine-tuning-text loss sits far right of every trained run). Pure, unit-tested; ForgettingChart maps it
 * to Recharts.
 */
import { bitsPerByte } from '../../metrics/bits';
import { baseEvals, bestPerCurve, evalPairs } from '../../sweep/forgetting';
import type { SweepRunRecord } from '../../sweep/types';
import { FFT_COLOUR, rankColour } from './scales';

export interface ForgetDot {
  x: number;
  y: number;
  runId: string;
  log2lr: number;
  series: string;
  colour: string;
  marker: Marker;
  best: boolean;
}

export type Marker = 'circle' | 'square' | 'triangle' | 'diamond';
const MARKERS: readonly Marker[] = ['circle', 'square', 'triangle', 'diamond'];

export interface ForgetSeries {
  name: string;
  colour: string;
  marker: Marker;
  fft: boolean;
  dots: ForgetDot[];
}

export interface ForgetData {
  series: ForgetSeries[];
  /** The base model's losses (bits per byte): fine-tuning text, pretraining text. */
  base: { x: number; y: number } | null;
  xDomain: [number, number];
  yDomain: [number, number];
  /** For tests: per series, [log2lr, x, y, best] of every dot. */
  json: string;
}

/** [lo, hi] of the values with 5% room on each side (a unit-wide range for a single value). */
function domain(xs: number[]): [number, number] {
  if (xs.length === 0) return [0, 1];
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const pad = hi > lo ? 0.05 * (hi - lo) : 0.5;
  return [lo - pad, hi + pad];
}

export function forgettingData(runs: readonly SweepRunRecord[]): ForgetData {
  const pairs = evalPairs(runs);
  const best = new Set(bestPerCurve(pairs).map((p) => p.run.runId));
  const ranks = [...new Set(pairs.filter((p) => !p.fft).map((p) => p.rank!))];
  // The curve's label past its rank (or 'FFT'): the other axes' values, one marker shape each.
  const variantOf = (curve: string) => curve.split(' · ').slice(1).join(' · ');
  const variants = [...new Set(pairs.map((p) => variantOf(p.curve)))].sort();
  const series = new Map<string, ForgetSeries>();
  for (const p of pairs) {
    let s = series.get(p.curve);
    const marker = MARKERS[variants.indexOf(variantOf(p.curve)) % MARKERS.length];
    if (!s) series.set(p.curve, (s = { name: p.curve, colour: p.fft ? FFT_COLOUR : rankColour(p.rank!, ranks), marker, fft: p.fft, dots: [] }));
    s.dots.push({ x: bitsPerByte(p.target), y: bitsPerByte(p.pretrain), runId: p.run.runId, log2lr: p.run.axes.log2lr, series: p.curve, colour: s.colour, marker, best: best.has(p.run.runId) });
  }
  const b = baseEvals(runs);
  const base = b && { x: bitsPerByte(b.target), y: bitsPerByte(b.pretrain) };
  const all = [...series.values()].flatMap((s) => s.dots);
  const xDomain = domain(all.map((d) => d.x));
  const yDomain = domain([...all.map((d) => d.y), ...(base ? [base.y] : [])]);
  const json = JSON.stringify([...series.values()].map((s) => ({ name: s.name, dots: s.dots.map((d) => [d.log2lr, d.x, d.y, d.best]) })));
  return { series: [...series.values()], base, xDomain, yDomain, json };
}
