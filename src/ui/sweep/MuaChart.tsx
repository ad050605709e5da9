/**
 * The muA chart (the paper's Figure 2): final training loss against log2(learning rate), one curve per
 * rank on a sequential colour scale, full fine-tuning dashed red, a large marker at each curve's optimum
 * (hollow when unreliable), a log y axis clipped so diverged (x) and collapsed (triangle) runs sit on the
 * top edge. Click a point to add its loss curve; hover it to see the run.
 */
import { memo, useCallback, useMemo } from 'react';
import { CartesianGrid, ComposedChart, Line, Scatter, XAxis, YAxis } from 'recharts';
import type { LossView } from '../../metrics/bits';
import type { Panel } from '../../sweep/analysis';
import { ChartPanel } from './ChartPanel';
import { muaData, muaLegend, type Dot } from './muaData';
import { BAD_COLOUR } from './scales';
import { fmt, logTicks } from '../../format';

interface Props {
  panels: Panel[];
  /** How losses are shown (the language model's in bits per byte). */
  view: LossView;
  file: string;
  selected: readonly string[];
  onPick(runId: string): void;
  onHover(runId: string | null): void;
}

type ShapeProps = { cx?: number; cy?: number; payload?: Dot };

/**
 * Memoised, with shape callbacks that keep their identity: Recharts remounts a custom shape whose function
 * changes, and a point remounted between mousedown and mouseup (a hover re-render) never gets its click.
 */
export const MuaChart = memo(function MuaChart({ panels, view, file, selected, onPick, onHover }: Props) {
  const data = useMemo(() => muaData(panels, view.of), [panels, view]);
  const legend = useMemo(() => muaLegend(data), [data]);
  const [lo, hi] = data.yDomain;

  const dot = useCallback((p: ShapeProps) => {
    const d = p.payload;
    if (p.cx === undefined || p.cy === undefined || !d) return <g />;
    const on = selected.includes(d.runId);
    const events = { onClick: () => onPick(d.runId), onMouseEnter: () => onHover(d.runId), onMouseLeave: () => onHover(null), style: { cursor: 'pointer' } };
    const label = `${d.series} lr 2^${d.x}: ${d.outcome === 'ok' ? `final loss ${fmt(d.loss)}` : d.outcome}`;
    if (d.outcome === 'diverged')
      return (
        <g {...events} data-outcome="diverged" aria-label={label}>
          <path d={`M${p.cx - 5},${p.cy - 5}L${p.cx + 5},${p.cy + 5}M${p.cx - 5},${p.cy + 5}L${p.cx + 5},${p.cy - 5}`} stroke={BAD_COLOUR} strokeWidth={2.2} />
          <circle cx={p.cx} cy={p.cy} r={7} fill="transparent" />
        </g>
      );
    if (d.outcome === 'collapsed')
      return (
        <g {...events} data-outcome="collapsed" aria-label={label}>
          <path d={`M${p.cx},${p.cy - 6}L${p.cx + 6},${p.cy + 5}L${p.cx - 6},${p.cy + 5}Z`} fill="#fff" stroke={d.colour} strokeWidth={2} />
        </g>
      );
    return <circle {...events} cx={p.cx} cy={p.cy} r={on ? 4.5 : 3} fill={on ? '#000' : d.colour} stroke="#fff" strokeWidth={on ? 1.5 : 0.5} aria-label={label} />;
  }, [selected, onPick, onHover]);

  const star = useCallback((p: ShapeProps & { payload?: { reliable: boolean; colour: string; why?: string } }) => {
    if (p.cx === undefined || p.cy === undefined || !p.payload) return <g />;
    const { reliable, colour, why } = p.payload;
    return (
      <circle cx={p.cx} cy={p.cy} r={8} fill={reliable ? colour : '#fff'} fillOpacity={reliable ? 0.9 : 1} stroke={colour} strokeWidth={2.5} pointerEvents="none">
        <title>{reliable ? 'optimum' : `unreliable optimum: ${why}`}</title>
      </circle>
    );
  }, []);

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
      <div className="chart" data-testid="mua-chart" data-series={data.json}>
        {data.series.length === 0 ? (
          <p className="empty">No finished runs yet.</p>
        ) : (
          <ComposedChart responsive style={{ width: '100%', height: 360 }} margin={{ top: 10, right: 16, bottom: 22, left: 4 }}>
            <CartesianGrid stroke="#e8ebf1" />
            <XAxis type="number" dataKey="x" domain={data.xDomain} allowDataOverflow ticks={data.xTicks} label={{ value: 'log2(learning rate)', position: 'insideBottom', offset: -12 }} />
            <YAxis type="number" dataKey="y" scale="log" domain={[lo, hi]} allowDataOverflow ticks={logTicks(lo, hi)} tickFormatter={(v: number) => fmt(v)} width={72} label={{ value: `final loss${view.suffix}`, angle: -90, position: 'insideLeft', offset: 10 }} />
            {data.series.map((s) => (
              <Line key={`l-${s.name}`} data={s.line} dataKey="y" type="linear" stroke={s.colour} strokeWidth={s.fft ? 2.2 : 1.8} strokeDasharray={s.dash || undefined} dot={false} activeDot={false} isAnimationActive={false} legendType="none" name={s.name} />
            ))}
            {data.series.map((s) => (
              <Scatter key={`d-${s.name}`} data={s.dots} shape={dot as never} isAnimationActive={false} legendType="none" name={`${s.name} runs`} />
            ))}
            <Scatter
              data={data.series.filter((s) => s.optimum).map((s) => ({ ...s.optimum!, colour: s.colour }))}
              shape={star as never}
              isAnimationActive={false}
              legendType="none"
              name="optima"
            />
          </ComposedChart>
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
