/**
 * Optimal learning rate against rank: log2(eta*) vs log2(r) per panel, reliable optima filled and
 * fitted (least squares), unreliable ones hollow and left out; the muA-predicted slope drawn dashed
 * through the same centre, and full fine-tuning's optimum as a horizontal reference.
 */
import { memo } from 'react';
import { CartesianGrid, LineChart, ReferenceLine, XAxis, YAxis } from 'recharts';
import type { Panel } from '../../sweep/analysis';
import { formatFraction } from '../../sweep/theory';
import { ChartPanel } from './ChartPanel';
import { DASHES, FFT_COLOUR } from './scales';
import type { LegendItem } from './svgDocument';
import { NUMBER_TICK, plainTick, useChartWidth, useSameWhile } from '../chartFrame';
import { Markers, SeriesPath } from '../SeriesPath';

const COLOURS = ['#1d2330', '#2456c8', '#0f8a5f', '#a15c00'];

interface Pt {
  x: number;
  y: number;
  reliable: boolean;
  colour: string;
}

/** The fitted and predicted lines of a panel over its reliable ranks. */
export function slopeLines(p: Panel): { fit: { x: number; y: number }[]; predicted: { x: number; y: number }[] } {
  const pts = p.curves.filter((c) => !c.fft && c.optimum?.reliable).map((c) => ({ x: Math.log2(c.rank!), y: c.optimum!.x }));
  if (!p.fit || pts.length < 2) return { fit: [], predicted: [] };
  const xs = pts.map((q) => q.x);
  const [a, b] = [Math.min(...xs), Math.max(...xs)];
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = pts.reduce((s, q) => s + q.y, 0) / pts.length;
  const fit = [a, b].map((x) => ({ x, y: p.fit!.slope * x + p.fit!.intercept }));
  const predicted = p.predicted.slope === null ? [] : [a, b].map((x) => ({ x, y: my + p.predicted.slope! * (x - mx) }));
  return { fit, predicted };
}

const marker = (cx: number, cy: number, q: Pt) => <circle cx={cx} cy={cy} r={6} fill={q.reliable ? q.colour : '#fff'} stroke={q.colour} strokeWidth={2} />;
const LR_TICK = plainTick((v) => String(Number(v.toFixed(1))));

/** What the chart draws of the panels: their labels, optima, fits and predictions. */
function optimaKey(panels: readonly Panel[]): string {
  return JSON.stringify(panels.map((p) => [p.key, p.label, p.fit, p.predicted, p.curves.map((c) => [c.rank, c.fft, c.optimum])]));
}

/** A sweep's flush that leaves the optima as they were does not redraw the chart (see useSameWhile). */
export function OptLrChart({ panels, file }: { panels: Panel[]; file: string }) {
  return <OptLrView panels={useSameWhile(panels, optimaKey(panels))} file={file} />;
}

const OptLrView = memo(function OptLrView({ panels, file }: { panels: Panel[]; file: string }) {
  const [frame, width] = useChartWidth<HTMLDivElement>();
  const series = panels.map((p, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts: Pt[] = p.curves.filter((c) => !c.fft && c.optimum).map((c) => ({ x: Math.log2(c.rank!), y: c.optimum!.x, reliable: c.optimum!.reliable, colour }));
    return { p, colour, dash: DASHES[i % DASHES.length], pts, lines: slopeLines(p), fft: p.curves.find((c) => c.fft)?.optimum ?? null };
  });
  const fits = panels.map((p) => ({ label: p.label, slope: p.fit?.slope ?? null, n: p.fit?.n ?? 0, predicted: p.predicted.slope, rule: p.predicted.rule }));
  const any = series.some((s) => s.pts.length > 0);
  // explicit domains (no <Line> data to derive them from): half a unit around every value drawn
  const xs = series.flatMap((s) => [...s.pts, ...s.lines.fit, ...s.lines.predicted].map((q) => q.x));
  const ys = series.flatMap((s) => [...s.pts, ...s.lines.fit, ...s.lines.predicted].map((q) => q.y).concat(s.fft ? [s.fft.x] : []));
  const around = (v: number[]): [number, number] => (v.length ? [Math.min(...v) - 0.5, Math.max(...v) + 0.5] : [0, 1]);
  const [xDomain, yDomain] = [around(xs), around(ys)];
  const legend: LegendItem[] = [
    ...series.map((s): LegendItem => ({ label: panels.length > 1 ? `${s.p.label}: optimum, fit` : 'reliable optimum (fitted), least-squares fit', colour: s.colour, dash: s.dash })),
    { label: 'unreliable optimum (not fitted)', colour: '#5a6478', shape: 'ring' },
    { label: 'slope muA predicts', colour: '#8a93a6', dash: '5 4' },
    ...(series.some((s) => s.fft) ? [{ label: 'full fine-tuning optimum', colour: FFT_COLOUR, dash: '6 4' }] : []),
  ];
  return (
    <ChartPanel title="Optimal learning rate vs rank" file={`${file}-optimal-lr`} legend={any ? legend : []} note="Filled: reliable optima (fitted). Hollow: unreliable (not fitted). Solid line: least-squares fit; dashed grey: the slope muA predicts, through the same centre.">
      <div className="chart" data-testid="optlr-chart" data-fits={JSON.stringify(fits)} ref={frame}>
        {!any ? (
          <p className="empty">No optimum yet.</p>
        ) : (
          width > 0 && (
            <LineChart width={width} height={300} margin={{ top: 10, right: 40, bottom: 22, left: 4 }}>
              <CartesianGrid stroke="#e8ebf1" />
              <XAxis type="number" allowDataOverflow dataKey="x" domain={xDomain} allowDecimals={false} tickCount={8} interval={0} tick={NUMBER_TICK} label={{ value: 'log2(rank)', position: 'insideBottom', offset: -12 }} />
              <YAxis type="number" allowDataOverflow dataKey="y" domain={yDomain} tick={LR_TICK} interval={0} width={48} label={{ value: 'log2(optimal lr)', angle: -90, position: 'insideLeft', offset: 10 }} />
              {series.flatMap((s, i) => [
                s.lines.fit.length > 0 && <SeriesPath key={`f${i}`} points={s.lines.fit} xKey="x" style={{ stroke: s.colour, strokeWidth: 2, strokeDasharray: s.dash || undefined, name: `${s.p.label} fit` }} />,
                s.lines.predicted.length > 0 && <SeriesPath key={`p${i}`} points={s.lines.predicted} xKey="x" style={{ stroke: '#8a93a6', strokeWidth: 1.5, strokeDasharray: '5 4', name: `${s.p.label} muA slope` }} />,
                <Markers key={`s${i}`} points={s.pts} render={marker} />,
                s.fft && <ReferenceLine key={`r${i}`} y={s.fft.x} stroke={FFT_COLOUR} strokeDasharray="6 4" label={{ value: 'FFT', position: 'right', fill: FFT_COLOUR, fontSize: 11 }} />,
              ])}
            </LineChart>
          )
        )}
      </div>
      <table className="fits">
        <thead>
          <tr>
            {panels.length > 1 && <th scope="col">curves</th>}
            <th scope="col">fitted slope</th>
            <th scope="col">muA predicts</th>
            <th scope="col">rule</th>
          </tr>
        </thead>
        <tbody>
          {fits.map((f, i) => (
            <tr key={i} data-testid="slope-row">
              {panels.length > 1 && <td>{f.label}</td>}
              <td data-field="fitted">{f.slope === null ? 'not enough reliable optima' : `${f.slope.toFixed(2)} (${f.n} ranks)`}</td>
              <td data-field="predicted">{f.predicted === null ? '—' : formatFraction(f.predicted)}</td>
              <td className="muted">{f.rule}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ChartPanel>
  );
});
