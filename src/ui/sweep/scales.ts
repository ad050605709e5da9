/**
 * Colour and axis helpers for the sweep charts: a sequential colour scale for ranks (viridis stops,
 * stopping short of its pale yellow end, which is unreadable on white), log-axis ticks, and numbers.
 */

const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b'];

function hex(c: string): number[] {
  return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
}

/** The colour at t in [0, 1] along the scale (linear between stops). */
export function sequential(t: number): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(u));
  const a = hex(VIRIDIS[i]);
  const b = hex(VIRIDIS[i + 1]);
  const f = u - i;
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(' ')})`;
}

/** A rank's colour among the sweep's ranks: log2 position between the smallest and the largest. */
export function rankColour(rank: number, ranks: readonly number[]): string {
  const lo = Math.log2(Math.min(...ranks));
  const hi = Math.log2(Math.max(...ranks));
  return sequential(hi > lo ? (Math.log2(rank) - lo) / (hi - lo) : 0.4);
}

/** Full fine-tuning's colour (red, as in the muA paper's figures). */
export const FFT_COLOUR = '#d62728';
export const BAD_COLOUR = '#b01030';

/** Dash patterns that tell overlaid panels apart (the first is solid). */
export const DASHES = ['', '2 3', '8 3 2 3', '1 2'];
