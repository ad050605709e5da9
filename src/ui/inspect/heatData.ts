/**
 * View 5: a module's update Delta W (block means, at most 128 x 128) next to the true change, both on one
 * symmetric colour range, as pixels (each cell `cell` x `cell` pixels, so the picture stays sharp when the
 * browser scales it) and as numbers: the summary the text alternative shows (largest magnitudes, the
 * correlation of the two grids and the relative error) and the grids cell by cell for CSV / JSON. Pure.
 */
import type { InspectHeat, InspectPoint } from '../../engine/inspect';
import { divergingRgb, symmetricRange } from './diverging';
import type { NumberTable } from './numbers';

/** The newest heatmap of `module`, or failing that the newest of any module (the worker may draw one at a time). */
export function pickHeat(points: readonly InspectPoint[], module: string): { heat: InspectHeat; step: number } | null {
  let any: { heat: InspectHeat; step: number } | null = null;
  for (let i = points.length - 1; i >= 0; i--) {
    const h = points[i].heat;
    if (!h) continue;
    if (h.module === module) return { heat: h, step: points[i].step };
    any ??= { heat: h, step: points[i].step };
  }
  return any;
}

export interface HeatStats {
  maxAbsDelta: number;
  maxAbsTruth: number | null;
  /** Pearson correlation of the two grids' cells (1 = the same picture up to scale). */
  correlation: number | null;
  /** ||Delta - truth|| / ||truth|| over the cells. */
  relError: number | null;
}

export function heatStats(h: InspectHeat): HeatStats {
  const maxAbs = (v: readonly number[]) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const t = h.truth;
  if (!t || t.length !== h.delta.length) return { maxAbsDelta: maxAbs(h.delta), maxAbsTruth: t ? maxAbs(t) : null, correlation: null, relError: null };
  const n = h.delta.length;
  const md = h.delta.reduce((s, x) => s + x, 0) / n;
  const mt = t.reduce((s, x) => s + x, 0) / n;
  let sdt = 0;
  let sdd = 0;
  let stt = 0;
  let err = 0;
  let tt = 0;
  for (let i = 0; i < n; i++) {
    const a = h.delta[i] - md;
    const b = t[i] - mt;
    sdt += a * b;
    sdd += a * a;
    stt += b * b;
    err += (h.delta[i] - t[i]) ** 2;
    tt += t[i] ** 2;
  }
  return { maxAbsDelta: maxAbs(h.delta), maxAbsTruth: maxAbs(t), correlation: sdd > 0 && stt > 0 ? sdt / Math.sqrt(sdd * stt) : null, relError: tt > 0 ? Math.sqrt(err / tt) : null };
}

/** The shared colour range of the update and the truth. */
export const heatRange = (h: InspectHeat): number => symmetricRange(h.delta, h.truth);

/** RGBA pixels of a rows x cols grid on [-range, range], each cell a cell x cell square: (rows*cell) x (cols*cell) pixels. */
export function heatPixels(values: readonly number[], rows: number, cols: number, range: number, cell: number): Uint8ClampedArray {
  const w = cols * cell;
  const out = new Uint8ClampedArray(rows * cell * w * 4);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const [r, g, b] = divergingRgb(values[i * cols + j] / range);
      for (let di = 0; di < cell; di++)
        for (let dj = 0; dj < cell; dj++) {
          const o = ((i * cell + di) * w + j * cell + dj) * 4;
          out[o] = r;
          out[o + 1] = g;
          out[o + 2] = b;
          out[o + 3] = 255;
        }
    }
  return out;
}

/** Pixels per cell so the larger side is about `target` pixels (at least 1). */
export const cellPixels = (rows: number, cols: number, target = 192): number => Math.max(1, Math.floor(target / Math.max(rows, cols, 1)));

/** The summary as the text alternative's table. */
export function heatSummary(h: InspectHeat): NumberTable {
  const s = heatStats(h);
  return {
    columns: ['quantity', 'value'],
    rows: [
      ['module', h.module],
      ['grid (rows x cols)', `${h.rows} x ${h.cols}`],
      ['colour range ±', heatRange(h)],
      ['largest |ΔW| cell', s.maxAbsDelta],
      ['largest |true change| cell', s.maxAbsTruth],
      ['correlation of ΔW with the true change', s.correlation],
      ['‖ΔW − true‖ / ‖true‖', s.relError],
    ],
  };
}

/** Every cell, long form: which grid, row, column, value (the CSV). */
export function heatCells(h: InspectHeat): NumberTable {
  const rows: (string | number)[][] = [];
  const grids: [string, readonly number[] | undefined][] = [
    ['delta', h.delta],
    ['truth', h.truth],
  ];
  for (const [name, g] of grids) if (g) for (let i = 0; i < h.rows; i++) for (let j = 0; j < h.cols; j++) rows.push([name, i, j, g[i * h.cols + j]]);
  return { columns: ['grid', 'row', 'col', 'value'], rows };
}
