/**
 * Optimal learning rate against rank: log2(eta*) vs log2(r) per panel, reliable optima filled and
 * fitted (least squares), unreliable ones hollow and left out; the muA-predicted slope drawn dashed
 * through the same centre, and full fine-tuning's optimum as a horizontal reference.
 */
import { CartesianGrid, ComposedChart, Line, ReferenceLine, Scatter, XAxis, YAxis } from 'recharts';
import type { Panel } from '../../sweep/analysis';
import { formatFraction } from '../../sweep/theory';
import { ChartPanel } from './ChartPanel';
import { DASHES, FFT_COLOUR } from './scales';
import type { LegendItem } from './svgDocument';

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

export function OptLrChart({ panels, file }: { panels: Panel[]; file: string }) {
  const series = panels.map((p, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts: Pt[] = p.curves.filter((c) => !c.fft && c.optimum).map((c) => ({ x: Math.log2(c.rank!), y: c.optimum!.x, reliable: c.optimum!.reliable, colour }));
    return { p, colour, dash: DASHES[i % DASHES.length], pts, lines: slopeLines(p), fft: p.curves.find((c) => c.fft)?.optimum ?? null };
  });
  const fits = panels.map((p) => ({ label: p.label, slope: p.fit?.slope ?? null, n: p.fit?.n ?? 0, predicted: p.predicted.slope, rule: p.predicted.rule }));
  const shape = (q: { cx?: number; cy?: number; payload?: Pt }) =>
    q.cx === undefined || q.cy === undefined || !q.payload ? <g /> : <circle cx={q.cx} cy={q.cy} r={6} fill={q.payload.reliable ? q.payload.colour : '#fff'} stroke={q.payload.colour} strokeWidth={2} />;
  const any = series.some((s) => s.pts.length > 0);
  const legend: LegendItem[] = [
    ...series.map((s): LegendItem => ({ label: panels.length > 1 ? `${s.p.label}: optimum, fit` : 'reliable optimum (fitted), least-squares fit', colour: s.colour, dash: s.dash })),
    { label: 'unreliable optimum (not fitted)', colour: '#5a6478', shape: 'ring' },
    { label: 'slope muA predicts', colour: '#8a93a6', dash: '5 4' },
    ...(series.some((s) => s.fft) ? [{ label: 'full fine-tuning optimum', colour: FFT_COLOUR, dash: '6 4' }] : []),
  ];
  return (
    <ChartPanel title="Optimal learning rate vs rank" file={`${file}-optimal-lr`} legend={any ? legend : []} note="Filled: reliable optima (fitted). Hollow: unreliable (not fitted). Solid line: least-squares fit; dashed grey: the slope muA predicts, through the same centre.">
      <div className="chart" data-testid="optlr-chart" data-fits={JSON.stringify(fits)}>
        {!any ? (
          <p className="empty">No optimum yet.</p>
        ) : (
          <ComposedChart responsive style={{ width: '100%', height: 300 }} margin={{ top: 10, right: 40, bottom: 22, left: 4 }}>
            <CartesianGrid stroke="#e8ebf1" />
            <XAxis type="number" dataKey="x" domain={['dataMin - 0.5', 'dataMax + 0.5']} allowDecimals={false} tickCount={8} label={{ value: 'log2(rank)', position: 'insideBottom', offset: -12 }} />
            <YAxis type="number" dataKey="y" domain={['dataMin - 0.5', 'dataMax + 0.5']} tickFormatter={(v: number) => String(Number(v.toFixed(1)))} width={48} label={{ value: 'log2(optimal lr)', angle: -90, position: 'insideLeft', offset: 10 }} />
            {series.flatMap((s, i) => [
              s.lines.fit.length > 0 && <Line key={`f${i}`} data={s.lines.fit} dataKey="y" stroke={s.colour} strokeWidth={2} strokeDasharray={s.dash || undefined} dot={false} activeDot={false} isAnimationActive={false} legendType="none" />,
              s.lines.predicted.length > 0 && <Line key={`p${i}`} data={s.lines.predicted} dataKey="y" stroke="#8a93a6" strokeWidth={1.5} strokeDasharray="5 4" dot={false} activeDot={false} isAnimationActive={false} legendType="none" />,
              <Scatter key={`s${i}`} data={s.pts} shape={shape as never} isAnimationActive={false} legendType="none" />,
              s.fft && <ReferenceLine key={`r${i}`} y={s.fft.x} stroke={FFT_COLOUR} strokeDasharray="6 4" label={{ value: 'FFT', position: 'right', fill: FFT_COLOUR, fontSize: 11 }} />,
            ])}
          </ComposedChart>
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
}
