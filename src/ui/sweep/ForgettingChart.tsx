/**
 * Learned vs forgotten (Biderman et al. 2024, "LoRA learns less and forgets less"): every finished
 * language-model run as a dot, its held-out loss on the fine-tuning text across and on the pretraining
 * text up, in bits per byte; colours as the muA chart's (FFT red), a marker shape per variant of the
 * other axes (e.g. target modules); each curve's best run ringed; dashed lines at the base model's
 * two losses (the fine-tuning text's is usually off the chart, right of every run). Down and left is
 * better on both. Click a dot to add its loss curve; hover it to see the run.
 */
import { memo, useCallback, useMemo } from 'react';
import { CartesianGrid, ReferenceLine, Scatter, ScatterChart, XAxis, YAxis } from 'recharts';
import type { SweepRunRecord } from '../../sweep/types';
import { ChartPanel } from './ChartPanel';
import { forgettingData, type ForgetDot, type Marker } from './forgettingData';
import { fmt, pow2 } from '../../format';
import type { LegendItem } from './svgDocument';

interface Props {
  runs: SweepRunRecord[];
  file: string;
  selected: readonly string[];
  onPick(runId: string): void;
  onHover(runId: string | null): void;
}

type ShapeProps = { cx?: number; cy?: number; payload?: ForgetDot };

/** A marker of radius about r at (x, y). */
function MarkerShape({ marker, x, y, r, ...paint }: { marker: Marker; x: number; y: number; r: number; fill: string; stroke: string; strokeWidth: number }) {
  if (marker === 'circle') return <circle cx={x} cy={y} r={r} {...paint} />;
  if (marker === 'square') return <rect x={x - r} y={y - r} width={2 * r} height={2 * r} {...paint} />;
  const pts = marker === 'triangle' ? [[0, -1.2], [1.1, 0.9], [-1.1, 0.9]] : [[0, -1.3], [1.3, 0], [0, 1.3], [-1.3, 0]];
  return <path d={`M${pts.map(([dx, dy]) => `${x + dx * r},${y + dy * r}`).join('L')}Z`} {...paint} />;
}

/** Memoised with a stable shape callback, as MuaChart: a remounted dot would lose its click. */
export const ForgettingChart = memo(function ForgettingChart({ runs, file, selected, onPick, onHover }: Props) {
  const data = useMemo(() => forgettingData(runs), [runs]);
  const dot = useCallback(
    (p: ShapeProps) => {
      const d = p.payload;
      if (p.cx === undefined || p.cy === undefined || !d) return <g />;
      const on = selected.includes(d.runId);
      return (
        <g onClick={() => onPick(d.runId)} onMouseEnter={() => onHover(d.runId)} onMouseLeave={() => onHover(null)} style={{ cursor: 'pointer' }} aria-label={`${d.series} lr ${pow2(d.log2lr)}: fine-tuning text ${fmt(d.x)}, pretraining text ${fmt(d.y)} bits/byte`}>
          {d.best && <circle cx={p.cx} cy={p.cy} r={8} fill="none" stroke={d.colour} strokeWidth={2} />}
          <MarkerShape marker={d.marker} x={p.cx} y={p.cy} r={on ? 5 : 3.5} fill={on ? '#000' : d.colour} stroke="#fff" strokeWidth={0.5} />
        </g>
      );
    },
    [selected, onPick, onHover],
  );
  const fmt2 = (v: number) => String(Number(v.toFixed(2)));
  const legend: LegendItem[] = data.series.length
    ? [
        ...data.series.map((s): LegendItem => ({ label: s.name, colour: s.colour, shape: s.marker === 'circle' ? 'dot' : s.marker })),
        { label: "each curve's best learning rate", colour: '#5a6478', shape: 'ring' },
        ...(data.base ? [{ label: 'base model', colour: '#8a93a6', dash: '5 4' }] : []),
      ]
    : [];
  return (
    <ChartPanel
      title="Learned vs forgotten"
      file={`${file}-forgetting`}
      legend={legend}
      note={`One dot per finished run: held-out loss on the fine-tuning text (across: left = learned more) and on the pretraining text (up: higher = forgot more), bits per byte. Ringed: each curve's best learning rate. Dashed: the base model${data.base ? ` (${fmt(data.base.y)} on the pretraining text, ${fmt(data.base.x)} on the fine-tuning text)` : ''}. Click a dot to show its loss curve.`}
    >
      <div className="chart" data-testid="forgetting-chart" data-series={data.json}>
        {data.series.length === 0 ? (
          <p className="empty">No finished run with both held-out losses yet.</p>
        ) : (
          <ScatterChart responsive style={{ width: '100%', height: 340 }} margin={{ top: 10, right: 40, bottom: 22, left: 4 }}>
            <CartesianGrid stroke="#e8ebf1" />
            <XAxis type="number" dataKey="x" domain={data.xDomain} allowDataOverflow tickFormatter={fmt2} label={{ value: 'fine-tuning text (bits/byte)', position: 'insideBottom', offset: -12 }} />
            <YAxis type="number" dataKey="y" domain={data.yDomain} allowDataOverflow tickFormatter={fmt2} width={68} label={{ value: 'pretraining text (bits/byte)', angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } }} />
            {data.base && <ReferenceLine x={data.base.x} stroke="#8a93a6" strokeDasharray="5 4" label={{ value: 'base', position: 'insideTopRight', fill: '#5a6272', fontSize: 11 }} />}
            {data.base && <ReferenceLine y={data.base.y} stroke="#8a93a6" strokeDasharray="5 4" label={{ value: 'base', position: 'right', fill: '#5a6272', fontSize: 11 }} />}
            {data.series.map((s) => (
              <Scatter key={s.name} name={s.name} data={s.dots} shape={dot as never} isAnimationActive={false} legendType="none" />
            ))}
          </ScatterChart>
        )}
      </div>
      <ul className="sweep-legend" aria-label="Runs by curve">
        {data.series.map((s) => (
          <li key={s.name}>
            <svg width={12} height={12} aria-hidden="true">
              <MarkerShape marker={s.marker} x={6} y={6} r={4} fill={s.colour} stroke={s.colour} strokeWidth={0.5} />
            </svg>{' '}
            {s.name}
          </li>
        ))}
      </ul>
    </ChartPanel>
  );
});
