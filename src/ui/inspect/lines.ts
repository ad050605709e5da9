/**
 * The shape every line view of the panel is built into: named series of (x, y) points, the y range to
 * draw, and the numbers (a table for the text alternative and CSV; JSON for `data-series`). Pure;
 * InspectLineChart maps it to Recharts.
 */
import { niceCeil } from '../chartData';
import type { LegendItem } from '../sweep/svgDocument';
import type { NumberTable } from './numbers';

export interface XY {
  x: number;
  y: number;
}

export interface LineSeries {
  key: string;
  label: string;
  colour: string;
  dash?: string;
  /** Points to draw, x ascending (on a log axis only the positive ones). */
  points: XY[];
}

export interface LinesData {
  series: LineSeries[];
  /** Horizontal reference lines (the adapter's rank, the true rank). */
  refs: { y: number; label: string; colour: string; dash: string }[];
  yDomain: [number, number];
  /** Ticks of a linear axis, when the chart's own would land on odd values. */
  yTicks?: number[];
  log: boolean;
  table: NumberTable;
  /** `data-series` for tests: the table as JSON. */
  json: string;
}

/** A log axis around the positive values: half a decade of room below, a factor 2 above. */
export function logDomain(values: readonly number[]): [number, number] {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (pos.length === 0) return [0.01, 1];
  const lo = Math.min(...pos);
  const hi = Math.max(...pos);
  return [lo / 3, hi * 2];
}

/** A linear axis from 0 (or below, for negative values) to a round number a little above the largest value. */
export function linearDomain(values: readonly number[], atLeast = 0): [number, number] {
  const fin = values.filter(Number.isFinite);
  const hi = Math.max(atLeast, ...fin);
  const lo = Math.min(0, ...fin);
  return [lo, hi > lo ? niceCeil(hi * 1.05) : lo + 1];
}

/** Ticks from 0 to a round `top` in about five round steps. */
export function linearTicks(top: number): number[] {
  const step = niceCeil(top / 5);
  return Array.from({ length: Math.floor(top / step + 1e-9) + 1 }, (_, i) => Number((i * step).toPrecision(6)));
}

/** On a log axis a line cannot pass through zero: keep its positive, finite points. */
export const positive = (pts: readonly XY[]): XY[] => pts.filter((p) => Number.isFinite(p.y) && p.y > 0);

/** Ticks of an index axis 1..n: every index up to 16, else 1 and the multiples of 4 or 8. */
export function indexTicks(n: number): number[] {
  const every = n <= 16 ? 1 : n <= 40 ? 4 : 8;
  return [1, ...Array.from({ length: Math.floor(n / every) }, (_, i) => (i + 1) * every)].filter((v, i, a) => a.indexOf(v) === i);
}

/** The legend of the drawn lines and references, for the page and the exported image. */
export function linesLegend(d: LinesData): LegendItem[] {
  return [
    ...d.series.filter((s) => s.points.length > 0).map((s): LegendItem => ({ label: s.label, colour: s.colour, dash: s.dash })),
    ...d.refs.map((r): LegendItem => ({ label: r.label, colour: r.colour, dash: r.dash })),
  ];
}
