/**
 * What the muA chart draws, from the analysis' panels: one series per curve (rank, or FFT), its colour
 * and dash, its points with diverged and collapsed runs clipped to the top edge of a log y axis, and the
 * optimum markers. Losses as shown (`of`: the language model's in bits per byte, see metrics/bits.ts).
 * Pure, unit-tested; the chart component only maps this to Recharts elements.
 */
import type { Curve, Outcome, Panel } from '../../sweep/analysis';
import { BAD_COLOUR, DASHES, FFT_COLOUR, rankColour } from './scales';
import type { LegendItem } from './svgDocument';

export interface Dot {
  x: number;
  y: number; // clipped for drawing
  loss: number; // the real final loss (NaN for diverged)
  outcome: Outcome;
  runId: string;
  series: string;
  colour: string;
}

export interface Series {
  name: string;
  colour: string;
  dash: string; // '' = solid
  fft: boolean;
  curve: Curve;
  /** Line points (pending runs left out; diverged / collapsed at the top edge). */
  line: { x: number; y: number }[];
  dots: Dot[];
  optimum: { x: number; y: number; reliable: boolean; why?: string } | null;
}

export interface MuaData {
  series: Series[];
  yDomain: [number, number];
  xDomain: [number, number];
  /** Integer log2 ticks (every other one when there are many). */
  xTicks: number[];
  /** For tests: one entry per series, points [log2lr, finalLoss | null, outcome]. */
  json: string;
}

/** Room above the highest ok point for the clipped markers of diverged and collapsed runs. */
const TOP_ROOM = 1.35;

/** The panels with every loss (points and optima) as shown. */
function shownPanels(panels: readonly Panel[], of: (loss: number) => number): readonly Panel[] {
  return panels.map((p) => ({
    ...p,
    curves: p.curves.map((c) => ({ ...c, points: c.points.map((q) => ({ ...q, y: of(q.y) })), optimum: c.optimum && { ...c.optimum, y: of(c.optimum.y) } })),
  }));
}

export function muaData(logged: readonly Panel[], of: (loss: number) => number = (x) => x): MuaData {
  const panels = shownPanels(logged, of);
  const ranks = panels.flatMap((p) => p.curves.filter((c) => !c.fft).map((c) => c.rank!));
  let lo = Infinity;
  let hi = -Infinity;
  let xlo = Infinity;
  let xhi = -Infinity;
  for (const p of panels)
    for (const c of p.curves)
      for (const q of c.points) {
        xlo = Math.min(xlo, q.x);
        xhi = Math.max(xhi, q.x);
        if (q.outcome === 'ok' && q.y > 0) {
          lo = Math.min(lo, q.y);
          hi = Math.max(hi, q.y);
        }
      }
  if (!(lo < Infinity)) [lo, hi] = [0.1, 1];
  const top = hi * TOP_ROOM;
  const bottom = lo / 1.25;
  const series: Series[] = [];
  panels.forEach((p, pi) => {
    const dash = panels.length > 1 ? DASHES[pi % DASHES.length] : '';
    for (const c of p.curves) {
      const name = panels.length > 1 && p.label ? `${c.name} · ${p.label}` : c.name;
      const colour = c.fft ? FFT_COLOUR : rankColour(c.rank!, ranks);
      const drawn = c.points.filter((q) => q.outcome !== 'pending');
      const yOf = (q: (typeof drawn)[number]) => (q.outcome === 'ok' ? Math.min(Math.max(q.y, bottom), top) : top);
      series.push({
        name,
        colour,
        dash: c.fft ? '6 4' : dash,
        fft: c.fft,
        curve: c,
        line: drawn.map((q) => ({ x: q.x, y: yOf(q) })),
        dots: drawn.map((q) => ({ x: q.x, y: yOf(q), loss: q.y, outcome: q.outcome, runId: q.runIds[0], series: name, colour })),
        optimum: c.optimum && { ...c.optimum, y: Math.min(Math.max(c.optimum.y, bottom), top) },
      });
    }
  });
  const json = JSON.stringify(
    series.map((s) => ({ name: s.name, points: s.curve.points.map((q) => [q.x, Number.isFinite(q.y) ? q.y : null, q.outcome]), optimum: s.curve.optimum ? { x: s.curve.optimum.x, reliable: s.curve.optimum.reliable } : null })),
  );
  const xDomain: [number, number] = xlo <= xhi ? [xlo - 0.25, xhi + 0.25] : [-10, 0];
  const ints: number[] = [];
  for (let k = Math.ceil(xDomain[0]); k <= Math.floor(xDomain[1]); k++) ints.push(k);
  const xTicks = ints.length > 12 ? ints.filter((k) => k % 2 === 0) : ints;
  return { series, yDomain: [bottom, top], xDomain, xTicks, json };
}

/** Marker keys are drawn in a neutral grey: their colour is the curve's, which the curve keys already say. */
const KEY_GREY = '#5a6478';

/**
 * The exported image's legend: each curve's colour and dash (the ranks' colours, FFT dashed red) with
 * its optimum, then what the markers mean (only the outcomes that occur).
 */
export function muaLegend(d: MuaData): LegendItem[] {
  const curves = d.series.map((s): LegendItem => ({ label: s.optimum ? `${s.name} (opt 2^${s.optimum.x.toFixed(2)}${s.optimum.reliable ? '' : ', unreliable'})` : s.name, colour: s.colour, dash: s.dash }));
  const dots = d.series.flatMap((s) => s.dots);
  const markers: LegendItem[] = [
    { label: 'optimum', colour: KEY_GREY, shape: 'dot' },
    { label: 'unreliable optimum', colour: KEY_GREY, shape: 'ring' },
  ];
  if (dots.some((p) => p.outcome === 'diverged')) markers.push({ label: 'diverged (top edge)', colour: BAD_COLOUR, shape: 'cross' });
  if (dots.some((p) => p.outcome === 'collapsed')) markers.push({ label: 'collapsed (top edge)', colour: KEY_GREY, shape: 'triangle' });
  return d.series.length ? [...curves, ...markers] : [];
}
