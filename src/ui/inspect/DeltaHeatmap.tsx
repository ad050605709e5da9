/**
 * View 5: a module's update Delta W (block means) beside the true change, on one symmetric colour scale
 * with its colour bar. Drawn as SVG <image>s of canvas-rendered pixels (a 128 x 128 grid as 16k SVG
 * rects would be slow to redraw at every log step), so the SVG export carries the pictures themselves.
 */
import { useMemo } from 'react';
import type { InspectHeat, InspectPoint } from '../../engine/inspect';
import { fmt, fmtTick } from '../../format';
import { ChartPanel } from '../sweep/ChartPanel';
import { diverging } from './diverging';
import { cellPixels, heatCells, heatPixels, heatRange, heatStats, heatSummary, pickHeat } from './heatData';
import { tableCsv, tableJson } from './numbers';
import { NumbersTable } from './NumbersTable';

const SIZE = 180; // drawn side of each picture, px
const TOP = 22;
const LEFT = 26;
const GAP = 22;
const BAR = 12;

/** A PNG data URL of the grid on [-range, range]. */
function picture(values: readonly number[], rows: number, cols: number, range: number): string {
  const cell = cellPixels(rows, cols);
  const canvas = document.createElement('canvas');
  canvas.width = cols * cell;
  canvas.height = rows * cell;
  const ctx = canvas.getContext('2d');
  if (!ctx) return '';
  ctx.putImageData(new ImageData(heatPixels(values, rows, cols, range, cell) as Uint8ClampedArray<ArrayBuffer>, cols * cell, rows * cell), 0, 0);
  return canvas.toDataURL('image/png');
}

const round = (v: readonly number[]) => v.map((x) => Number(x.toPrecision(4)));

export function DeltaHeatmap({ points, module, file }: { points: readonly InspectPoint[]; module: string; file: string }) {
  const picked = useMemo(() => pickHeat(points, module), [points, module]);
  const heat: InspectHeat | undefined = picked?.heat;
  const range = heat ? heatRange(heat) : 1;
  const images = useMemo(() => (heat ? { delta: picture(heat.delta, heat.rows, heat.cols, range), truth: heat.truth ? picture(heat.truth, heat.rows, heat.cols, range) : null } : null), [heat, range]);
  const json = useMemo(() => (heat ? JSON.stringify({ module: heat.module, step: picked!.step, rows: heat.rows, cols: heat.cols, range, stats: heatStats(heat), delta: round(heat.delta), truth: heat.truth ? round(heat.truth) : null }) : ''), [heat, picked, range]);
  const n = images?.truth ? 2 : 1;
  const h = heat ? (SIZE * heat.rows) / Math.max(heat.rows, heat.cols) : SIZE;
  const w = heat ? (SIZE * heat.cols) / Math.max(heat.rows, heat.cols) : SIZE;
  const barX = LEFT + n * (w + GAP);
  const W = barX + BAR + 60;
  const H = TOP + h + 30;
  const stops = [1, 0.5, 0, -0.5, -1]; // top to bottom: gradient offsets must ascend
  return (
    <ChartPanel
      title={`ΔW and the true change${heat ? ` (${heat.module}, step ${picked!.step})` : ''}`}
      file={`${file}-heatmap`}
      numbers={heat ? { csv: () => tableCsv(heatCells(heat)), json: () => tableJson(heatCells(heat)) } : undefined}
      note={
        heat && heat.module !== module
          ? `The worker sent no heatmap of ${module}; this is ${heat.module}'s.`
          : `Block means of the update (at most 128 x 128) beside the truth, one symmetric scale: red positive, blue negative, white zero. A learned update that matches draws the same picture.`
      }
      after={heat && <NumbersTable table={heatSummary(heat)} caption="ΔW against the true change" />}
    >
      <div className="heatmap inspect-heat" data-testid="inspect-heatmap" data-series={json}>
        {!heat || !images ? (
          <p className="empty">No heatmap yet: it appears at the run’s first logged step.</p>
        ) : (
          <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Heatmaps of the update of ${heat.module} and of the true change, colour range plus or minus ${fmt(range)}`}>
            <defs>
              <linearGradient id="inspect-heat-bar" x1="0" y1="0" x2="0" y2="1">
                {stops.map((t) => (
                  <stop key={t} offset={(1 - t) / 2} stopColor={diverging(t)} />
                ))}
              </linearGradient>
            </defs>
            {[
              ['ΔW (learned)', images.delta],
              ['true change', images.truth],
            ].map(([label, href], i) =>
              href ? (
                <g key={label}>
                  <text x={LEFT + i * (w + GAP) + w / 2} y={TOP - 7} textAnchor="middle" fontSize={12}>
                    {label}
                  </text>
                  <image href={href} x={LEFT + i * (w + GAP)} y={TOP} width={w} height={h} preserveAspectRatio="none" style={{ imageRendering: 'pixelated' }} />
                  <rect x={LEFT + i * (w + GAP)} y={TOP} width={w} height={h} fill="none" stroke="#c4cad6" />
                  <text x={LEFT + i * (w + GAP) + w / 2} y={TOP + h + 16} textAnchor="middle" fontSize={11} fill="#444">
                    input (column)
                  </text>
                </g>
              ) : null,
            )}
            <text x={12} y={TOP + h / 2} textAnchor="middle" fontSize={11} fill="#444" transform={`rotate(-90 12 ${TOP + h / 2})`}>
              output (row)
            </text>
            <text x={barX + BAR / 2} y={TOP - 7} textAnchor="middle" fontSize={11} fill="#444">
              cell
            </text>
            <rect x={barX} y={TOP} width={BAR} height={h} fill="url(#inspect-heat-bar)" stroke="#c4cad6" />
            {stops.map((t) => (
              <text key={t} x={barX + BAR + 4} y={TOP + ((1 - t) / 2) * h + 4} fontSize={10} fill="#444">
                {fmtTick(t * range)}
              </text>
            ))}
          </svg>
        )}
      </div>
    </ChartPanel>
  );
}
