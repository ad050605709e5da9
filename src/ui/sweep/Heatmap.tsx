/**
 * Final loss over two swept axes as a grid of cells (plain SVG, so it exports like the other charts):
 * colour on a log scale of the loss (dark = low), the best cell outlined with a star, cells whose runs
 * all diverged or collapsed in grey with their label.
 */
import { useId, useMemo } from 'react';
import type { LossView } from '../../metrics/bits';
import { buildHeatmap, HEAT_AXIS_LABEL, type HeatAxis } from '../../sweep/heatmap';
import type { SweepRunRecord } from '../../sweep/types';
import { ChartPanel } from './ChartPanel';
import { sequential } from './scales';
import { fmt } from '../../format';
import type { LegendItem } from './svgDocument';

const CW = 64;
const CH = 30;
const LEFT = 70;
const TOP = 10;
const BOTTOM = 40;
/** The colour bar right of the cells: its gap, width, and room for its labels. */
const BAR_GAP = 14;
const BAR_W = 12;
const BAR_LABELS = 58;
const LEGEND: LegendItem[] = [
  { label: '★ best cell (outlined)', colour: '#000', shape: 'square' },
  { label: 'every run diverged (div) or collapsed (col)', colour: '#c9ccd3', shape: 'box' },
];

interface Props {
  runs: SweepRunRecord[];
  view: LossView;
  axes: HeatAxis[];
  x: HeatAxis;
  y: HeatAxis;
  onAxes(x: HeatAxis, y: HeatAxis): void;
  onHover(runId: string | null): void;
  onPick(runId: string): void;
  file: string;
}

export function Heatmap({ runs, view, axes, x, y, onAxes, onHover, onPick, file }: Props) {
  const h = useMemo(() => buildHeatmap(runs, x, y), [runs, x, y]);
  const vals = h.cells.filter((c) => c.outcome === 'ok').map((c) => Math.log(c.value));
  const [lo, hi] = vals.length ? [Math.min(...vals), Math.max(...vals)] : [0, 1];
  const colour = (v: number) => sequential(hi > lo ? (Math.log(v) - lo) / (hi - lo) : 0.5);
  const gradient = `heat-bar-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`; // url(#id) wants plain characters
  const barX = LEFT + CW * h.xs.length + BAR_GAP;
  const barH = CH * h.ys.length;
  const W = barX + BAR_W + BAR_LABELS;
  const H = TOP + CH * h.ys.length + BOTTOM;
  const select = (which: 'x' | 'y', value: HeatAxis) => (
    <select aria-label={`Heatmap ${which} axis`} value={value} onChange={(e) => (which === 'x' ? onAxes(e.target.value as HeatAxis, y) : onAxes(x, e.target.value as HeatAxis))}>
      {axes.map((a) => (
        <option key={a} value={a}>
          {HEAT_AXIS_LABEL[a]}
        </option>
      ))}
    </select>
  );
  return (
    <ChartPanel
      title={`Final loss${view.suffix} over two axes`}
      file={`${file}-heatmap`}
      legend={LEGEND}
      head={
        <span className="heat-axes">
          {select('x', x)} across, {select('y', y)} down
        </span>
      }
      note="Each cell: the lowest final loss over the other axes (darker = lower). Star: the best cell. Grey: every run diverged (div) or collapsed (col)."
    >
      <div className="heatmap" data-testid="sweep-heatmap" data-best={h.best ? JSON.stringify([h.best.x, h.best.y]) : ''}>
        <svg width={W} height={H} role="img" aria-label={`Final loss by ${HEAT_AXIS_LABEL[x]} and ${HEAT_AXIS_LABEL[y]}`}>
          {/* the colour bar: dark = the lowest final loss at the top, as the cells' scale (log) */}
          <defs>
            <linearGradient id={gradient} x1="0" y1="0" x2="0" y2="1">
              {[0, 0.25, 0.5, 0.75, 1].map((t) => (
                <stop key={t} offset={t} stopColor={sequential(t)} />
              ))}
            </linearGradient>
          </defs>
          {vals.length > 0 && (
            <g data-part="colour-bar">
              <rect x={barX} y={TOP} width={BAR_W} height={barH} fill={`url(#${gradient})`} />
              <text x={barX + BAR_W + 4} y={TOP + 10} fontSize={10} fill="#444">
                {fmt(view.of(Math.exp(lo)))}
              </text>
              <text x={barX + BAR_W + 4} y={TOP + barH} fontSize={10} fill="#444">
                {fmt(view.of(Math.exp(hi)))}
              </text>
              <text x={barX + BAR_W + 4} y={TOP + barH / 2 + 4} fontSize={10} fill="#444">
                loss
              </text>
            </g>
          )}
          {h.ys.map((yv, j) => (
            <text key={`y${yv}`} x={LEFT - 6} y={TOP + j * CH + CH / 2 + 4} textAnchor="end" fontSize={11} fill="#444">
              {yv}
            </text>
          ))}
          {h.xs.map((xv, i) => (
            <text key={`x${xv}`} x={LEFT + i * CW + CW / 2} y={TOP + h.ys.length * CH + 14} textAnchor="middle" fontSize={11} fill="#444">
              {xv}
            </text>
          ))}
          <text x={LEFT + (CW * h.xs.length) / 2} y={H - 6} textAnchor="middle" fontSize={12}>
            {HEAT_AXIS_LABEL[x]}
          </text>
          <text x={12} y={TOP + (CH * h.ys.length) / 2} textAnchor="middle" fontSize={12} transform={`rotate(-90 12 ${TOP + (CH * h.ys.length) / 2})`}>
            {HEAT_AXIS_LABEL[y]}
          </text>
          {h.cells.map((c) => {
            const i = h.xs.indexOf(c.x);
            const j = h.ys.indexOf(c.y);
            const best = h.best === c;
            const ok = c.outcome === 'ok';
            const fill = ok ? colour(c.value) : c.outcome === 'pending' ? '#f3f4f7' : '#c9ccd3';
            const dark = ok && (hi > lo ? (Math.log(c.value) - lo) / (hi - lo) : 0.5) < 0.55;
            const text = ok ? fmt(view.of(c.value)) : c.outcome === 'diverged' ? 'div' : c.outcome === 'collapsed' ? 'col' : '';
            return (
              <g
                key={`${c.x}/${c.y}`}
                onMouseEnter={() => onHover(c.runId)}
                onMouseLeave={() => onHover(null)}
                onClick={() => c.runId && onPick(c.runId)}
                style={{ cursor: c.runId ? 'pointer' : undefined }}
                data-cell={`${c.x}/${c.y}`}
              >
                <rect x={LEFT + i * CW + 1} y={TOP + j * CH + 1} width={CW - 2} height={CH - 2} fill={fill} stroke={best ? '#000' : 'none'} strokeWidth={best ? 3 : 0} />
                <text x={LEFT + i * CW + CW / 2} y={TOP + j * CH + CH / 2 + 4} textAnchor="middle" fontSize={11} fill={dark ? '#fff' : '#1d2330'}>
                  {best ? `★ ${text}` : text}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
    </ChartPanel>
  );
}
