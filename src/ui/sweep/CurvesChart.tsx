/**
 * Loss curves of the runs picked on the muA chart or in the table: training loss (de-biased EMA, as the
 * final loss is measured) solid, eval loss dashed, against step, on a log axis.
 */
import { CartesianGrid, Line, LineChart, XAxis, YAxis } from 'recharts';
import type { LossView } from '../../metrics/bits';
import { emaSmooth } from '../../metrics/ema';
import type { SweepRunRecord } from '../../sweep/types';
import { ChartPanel } from './ChartPanel';
import { runName } from './runText';
import type { LegendItem } from './svgDocument';
import { fmt, logTicks } from '../../format';

const COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7a5195', '#444444'];
const SMOOTHING = 0.6;

function curves(run: SweepRunRecord, of: LossView['of']) {
  const ok = run.points.filter((p) => Number.isFinite(p.loss) && p.loss > 0);
  const smooth = emaSmooth(ok.map((p) => p.loss), SMOOTHING);
  const train = ok.map((p, i) => ({ step: p.step, y: of(smooth[i]) }));
  const evals = run.points.filter((p) => p.evalLoss !== undefined && Number.isFinite(p.evalLoss) && p.evalLoss > 0).map((p) => ({ step: p.step, y: of(p.evalLoss!) }));
  return { train, evals };
}

export function CurvesChart({ runs, view, file, onRemove }: { runs: SweepRunRecord[]; view: LossView; file: string; onRemove(runId: string): void }) {
  const drawn = runs.map((r, i) => ({ run: r, colour: COLOURS[i % COLOURS.length], ...curves(r, view.of) }));
  const ys = drawn.flatMap((d) => [...d.train, ...d.evals].map((p) => p.y));
  const lo = ys.length ? Math.min(...ys) / 1.2 : 0.01;
  const hi = ys.length ? Math.max(...ys) * 1.2 : 1;
  const maxStep = Math.max(1, ...runs.map((r) => r.config.steps));
  const legend: LegendItem[] = drawn.length
    ? [...drawn.map((d): LegendItem => ({ label: runName(d.run), colour: d.colour, shape: 'box' })), { label: `training loss (EMA ${SMOOTHING})`, colour: '#5a6478' }, { label: 'eval loss', colour: '#5a6478', dash: '5 4' }]
    : [];
  return (
    <ChartPanel title="Loss curves of picked runs" file={`${file}-curves`} legend={legend} note={`Training loss smoothed (EMA ${SMOOTHING}) solid, eval loss${view.unit ? ' on the fine-tuning text' : ''} dashed${view.unit ? `, in ${view.unit}` : ''}.`}>
      <div className="chart" data-testid="sweep-curves" data-runs={JSON.stringify(runs.map((r) => r.runId))}>
        {runs.length === 0 ? (
          <p className="empty">Click a point on the chart above, or a row of the table, to show its loss curve here.</p>
        ) : (
          <LineChart responsive style={{ width: '100%', height: 280 }} margin={{ top: 8, right: 16, bottom: 20, left: 4 }}>
            <CartesianGrid stroke="#e8ebf1" />
            <XAxis type="number" dataKey="step" domain={[0, maxStep]} allowDecimals={false} label={{ value: 'step', position: 'insideBottom', offset: -10 }} />
            <YAxis type="number" dataKey="y" scale="log" domain={[lo, hi]} allowDataOverflow ticks={logTicks(lo, hi)} tickFormatter={(v: number) => fmt(v)} width={72} label={{ value: `loss${view.suffix}`, angle: -90, position: 'insideLeft', offset: 10 }} />
            {drawn.flatMap((d) => [
              <Line key={`${d.run.runId}-t`} data={d.train} dataKey="y" stroke={d.colour} strokeWidth={2} dot={false} activeDot={false} isAnimationActive={false} legendType="none" />,
              d.evals.length > 0 && <Line key={`${d.run.runId}-e`} data={d.evals} dataKey="y" stroke={d.colour} strokeWidth={1.5} strokeDasharray="5 4" dot={false} activeDot={false} isAnimationActive={false} legendType="none" />,
            ])}
          </LineChart>
        )}
      </div>
      {runs.length > 0 && (
        <ul className="sweep-legend" aria-label="Picked runs">
          {drawn.map((d) => (
            <li key={d.run.runId}>
              <span className="swatch" style={{ background: d.colour }} aria-hidden="true" />
              {runName(d.run)}
              <button type="button" className="remove" aria-label={`Remove curve ${runName(d.run)}`} onClick={() => onRemove(d.run.runId)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </ChartPanel>
  );
}
