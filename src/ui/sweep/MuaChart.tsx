/**
 * The muA chart (the paper's Figure 2): final training loss against log2(learning rate), one curve per
 * rank on a sequential colour scale, full fine-tuning dashed red, a large marker at each curve's optimum
 * (hollow when unreliable), a log y axis clipped so diverged (x) and collapsed (triangle) runs sit on the
 * top edge. Click a point to add its loss curve; hover it to see the run.
 */
import { memo, useCallback, useMemo } from 'react';
import { CartesianGrid, LineChart, XAxis, YAxis } from 'recharts';
import type { LossView } from '../../metrics/bits';
import type { Panel } from '../../sweep/analysis';
import { ChartPanel } from './ChartPanel';
import { muaData, muaLegend, type Dot, type MuaData } from './muaData';
import { NUMBER_TICK, plainTick, useChartWidth, useSameWhile } from '../chartFrame';
import { Markers, SeriesPath } from '../SeriesPath';
import { BAD_COLOUR } from './scales';
import { fmt, logTicks } from '../../format';

const LOSS_TICK = plainTick(fmt);

interface Props {
  panels: Panel[];
  /** How losses are shown (the language model's in bits per byte). */
  view: LossView;
  file: string;
  selected: readonly string[];
  onPick(runId: string): void;
  onHover(runId: string | null): void;
}

type Optimum = NonNullable<MuaData['series'][number]['optimum']> & { colour: string };

/**
 * Memoised, with marker callbacks that keep their identity: a hover (the section re-renders) neither
 * redraws the chart nor remounts a point between mousedown and mouseup (it would never get its click).
 */
export const MuaChart = memo(function MuaChart({ panels, view, file, selected, onPick, onHover }: Props) {
  const fresh = useMemo(() => muaData(panels, view.of), [panels, view]);
  // a sweep's every flush rebuilds the panels; the chart is redrawn only when what it draws changed
  const data = useSameWhile(fresh, JSON.stringify([fresh.json, fresh.yDomain, fresh.xDomain, fresh.series.map((s) => [s.colour, s.dash, s.dots.map((d) => d.runId)])]));
  const [frame, width] = useChartWidth<HTMLDivElement>();
  const legend = useMemo(() => muaLegend(data), [data]);
  const suffix = view.suffix;

  const dot = useCallback(
    (cx: number, cy: number, d: Dot) => {
      const on = selected.includes(d.runId);
      const events = { onClick: () => onPick(d.runId), onMouseEnter: () => onHover(d.runId), onMouseLeave: () => onHover(null), style: { cursor: 'pointer' } };
      const label = `${d.series} lr 2^${d.x}: ${d.outcome === 'ok' ? `final loss ${fmt(d.loss)}` : d.outcome}`;
      if (d.outcome === 'diverged')
        return (
          <g {...events} data-outcome="diverged" aria-label={label}>
            <path d={`M${cx - 5},${cy - 5}L${cx + 5},${cy + 5}M${cx - 5},${cy + 5}L${cx + 5},${cy - 5}`} stroke={BAD_COLOUR} strokeWidth={2.2} />
            <circle cx={cx} cy={cy} r={7} fill="transparent" />
          </g>
        );
      if (d.outcome === 'collapsed')
        return (
          <g {...events} data-outcome="collapsed" aria-label={label}>
            <path d={`M${cx},${cy - 6}L${cx + 6},${cy + 5}L${cx - 6},${cy + 5}Z`} fill="#fff" stroke={d.colour} strokeWidth={2} />
          </g>
        );
      return <circle {...events} cx={cx} cy={cy} r={on ? 4.5 : 3} fill={on ? '#000' : d.colour} stroke="#fff" strokeWidth={on ? 1.5 : 0.5} aria-label={label} />;
    },
    [selected, onPick, onHover],
  );

  const star = useCallback(
    (cx: number, cy: number, { reliable, colour, why }: Optimum) => (
      <circle cx={cx} cy={cy} r={8} fill={reliable ? colour : '#fff'} fillOpacity={reliable ? 0.9 : 1} stroke={colour} strokeWidth={2.5} pointerEvents="none">
        <title>{reliable ? 'optimum' : `unreliable optimum: ${why}`}</title>
      </circle>
    ),
    [],
  );

  // the drawing is rebuilt only when its data, its width or the picked runs change
  const plot = useMemo(
    () => (
      <LineChart width={width} height={360} margin={{ top: 10, right: 16, bottom: 22, left: 4 }}>
        <CartesianGrid stroke="#e8ebf1" />
        <XAxis type="number" dataKey="x" domain={data.xDomain} allowDataOverflow ticks={data.xTicks} interval={0} tick={NUMBER_TICK} label={{ value: 'log2(learning rate)', position: 'insideBottom', offset: -12 }} />
        <YAxis type="number" dataKey="y" scale="log" domain={data.yDomain} allowDataOverflow ticks={logTicks(data.yDomain[0], data.yDomain[1])} interval={0} tick={LOSS_TICK} width={72} label={{ value: `final loss${suffix}`, angle: -90, position: 'insideLeft', offset: 10 }} />
        {data.series.map((s) => (
          <SeriesPath key={`l-${s.name}`} points={s.line} xKey="x" style={{ stroke: s.colour, strokeWidth: s.fft ? 2.2 : 1.8, strokeDasharray: s.dash || undefined, name: s.name }} />
        ))}
        {data.series.map((s) => (
          <Markers key={`d-${s.name}`} points={s.dots} render={dot} />
        ))}
        <Markers points={data.series.filter((s) => s.optimum).map((s): Optimum => ({ ...s.optimum!, colour: s.colour }))} render={star} />
      </LineChart>
    ),
    [data, width, dot, star, suffix],
  );

  return (
    <ChartPanel
      title="Final loss vs learning rate"
      file={`${file}-mua`}
      legend={legend}
      note={
        <>
          One curve per rank (darker = smaller rank){data.series.some((s) => s.fft) ? ', full fine-tuning dashed red' : ''}. Large marker: each curve's optimum (parabola fit in log2(lr)); hollow = unreliable (curve too
          flat, rank below the true rank, or at the grid's edge). Top edge: × diverged, △ collapsed. Click a point to show its loss curve.
        </>
      }
    >
      <div className="chart" data-testid="mua-chart" data-series={data.json} ref={frame}>
        {data.series.length === 0 ? (
          <p className="empty">No finished runs yet.</p>
        ) : (
          width > 0 && plot
        )}
      </div>
      <ul className="sweep-legend" aria-label="Curves">
        {data.series.map((s) => (
          <li key={s.name}>
            <span className={`swatch${s.dash ? ' dashed' : ''}`} style={{ background: s.dash ? undefined : s.colour, borderColor: s.colour }} aria-hidden="true" />
            {s.name}
            {s.optimum && <span className="muted"> · opt 2^{s.optimum.x.toFixed(2)}{s.optimum.reliable ? '' : ' (unreliable)'}</span>}
          </li>
        ))}
      </ul>
    </ChartPanel>
  );
});
