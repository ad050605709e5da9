/**
 * Training loss (smoothed over a faint raw curve) and eval loss (dashed) against step, for every run
 * kept in the store, with a legend of their settings. The raw logged points are exposed as JSON in
 * `data-series` for tests (what is drawn is smoothed and downsampled, see chartData.ts).
 */
import { useDeferredValue, useMemo, useRef } from 'react';
import { CartesianGrid, LineChart, XAxis, YAxis } from 'recharts';
import { configToQuery } from '../config/url';
import { isActive, useLab, type RunRecord } from '../store/store';
import { assignColours, liveProgress, lossUnit, runCurves, runTitle, seriesJson, yCeiling, yDomain } from './chartData';
import { fmtNum, logTicks } from '../format';
import { Paced } from './Paced';
import { SeriesPath } from './SeriesPath';
import { NUMBER_TICK, useChartWidth, VALUE_TICK } from './chartFrame';

export function LossChart() {
  // deferred: the chart redraws in a background (interruptible, time-sliced) render, so a batch of
  // logged points never holds the main thread for a whole chart render
  const live = useLab((s) => s.runs);
  const all = useDeferredValue(live);
  const task = useLab((s) => s.config.task);
  // the chart compares runs of the task on the page (a toy loss and bits per byte share no axis)
  const runs = useMemo(() => all.filter((r) => r.config.task === task), [all, task]);
  const lm = task === 'lm';
  const chart = useLab((s) => s.chart);
  const setChart = useLab((s) => s.setChart);
  const colours = useRef(new Map<string, string>()).current;
  const [frame, width] = useChartWidth<HTMLDivElement>();
  assignColours(
    runs.map((r) => r.id),
    colours,
  );

  const ceiling = useMemo(() => yCeiling(runs, chart.logY ? 10 : 1.5), [runs, chart.logY]);
  const curves = useMemo(() => runs.map((r) => ({ run: r, c: runCurves(r, chart.smoothing, chart.logY, ceiling) })), [runs, chart, ceiling]);
  // the x axis reaches every run's planned steps, and its last logged step if that is later
  const maxSteps = Math.max(1, ...runs.map((r) => Math.max(r.config.steps, r.points.at(-1)?.step ?? 0)));
  // the drawing is rebuilt only when its curves change, and drawn in its own task (Paced.tsx)
  const plot = useMemo(() => {
    const domain = yDomain(
      curves.map((x) => x.c),
      chart.logY,
    );
    const ticks = chart.logY && domain ? logTicks(domain[0], domain[1]) : [];
    return (
      <LineChart width={width} height={320} margin={{ top: 8, right: 16, bottom: 20, left: 4 }}>
        <CartesianGrid stroke="#e8ebf1" />
        {/* interval 0: a handful of numeric ticks never overlap, and Recharts then skips measuring each label in the DOM */}
        <XAxis type="number" allowDataOverflow dataKey="step" domain={[0, maxSteps]} allowDecimals={false} interval={0} tick={NUMBER_TICK} label={{ value: 'step', position: 'insideBottom', offset: -10 }} />
        <YAxis
          type="number"
          dataKey="y"
          scale={chart.logY ? 'log' : 'linear'}
          domain={domain ?? (chart.logY ? [0.01, 1] : [0, 1])}
          allowDataOverflow
          ticks={ticks.length ? ticks : undefined}
          tick={VALUE_TICK}
          tickCount={6}
          interval={0}
          width={60}
        />
        {curves.flatMap(({ run, c }) => {
          const stroke = colours.get(run.id)!;
          return [
            c.raw.length > 0 && <SeriesPath key={`${run.id}-raw`} points={c.raw} xKey="step" style={{ stroke, strokeOpacity: 0.22, strokeWidth: 1, name: `${run.label} raw` }} />,
            <SeriesPath key={`${run.id}-train`} points={c.smooth} xKey="step" style={{ stroke, strokeWidth: 2, name: `${run.label} train` }} />,
            c.evalLoss.length > 0 && <SeriesPath key={`${run.id}-eval`} points={c.evalLoss} xKey="step" style={{ stroke, strokeWidth: 1.5, strokeDasharray: '5 4', name: `${run.label} eval` }} />,
            c.evalBase.length > 0 && <SeriesPath key={`${run.id}-evalBase`} points={c.evalBase} xKey="step" style={{ stroke, strokeWidth: 1.5, strokeDasharray: '1 3', name: `${run.label} eval (pretraining text)` }} />,
          ].filter(Boolean);
        })}
      </LineChart>
    );
  }, [curves, chart.logY, maxSteps, colours, width]);
  // what the store holds now, not the deferred drawing's: what a reader of data-series is told matches
  // the run's status and the exports at once
  const json = useMemo(() => seriesJson(live.filter((r) => r.config.task === task)), [live, task]);

  return (
    <section className="panel chart-panel" aria-label="Loss chart">
      <div className="chart-head">
        <h2>{lm ? 'Loss (bits per byte)' : 'Loss'}</h2>
        <label className="inline">
          <input type="checkbox" checked={chart.logY} onChange={(e) => setChart({ logY: e.target.checked })} /> Log scale
        </label>
        <label className="inline" htmlFor="smoothing">
          Smoothing
        </label>
        <input
          id="smoothing"
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={chart.smoothing}
          onChange={(e) => setChart({ smoothing: Number(e.target.value) })}
          title="De-biased exponential moving average of the training loss (TensorBoard's smoothing); the raw curve stays faint beneath"
        />
        <output htmlFor="smoothing">{chart.smoothing.toFixed(2)}</output>
      </div>
      <div className="chart" data-testid="loss-chart" data-series={json} ref={frame}>
        {runs.length === 0 && <p className="empty over">No runs yet. Press Train: the training loss (solid) and the eval loss (dashed) appear here as the model learns.</p>}
        {/* the empty frame is drawn at once, so the first run's start does not also build the chart */}
        {width > 0 && <Paced name="loss chart">{plot}</Paced>}
      </div>
      <Legend runs={runs} colours={colours} lm={lm} />
    </section>
  );
}

function lastFinite(run: RunRecord): number | undefined {
  for (let i = run.points.length - 1; i >= 0; i--) if (Number.isFinite(run.points[i].loss)) return run.points[i].loss;
  return undefined;
}

/** The runs on the chart: colour, settings, how they ended, and a remove button each. */
function Legend({ runs, colours, lm }: { runs: RunRecord[]; colours: Map<string, string>; lm: boolean }) {
  const currentId = useLab((s) => s.currentId);
  if (runs.length === 0) return null;
  const remove = (r: RunRecord) => {
    const s = useLab.getState();
    if (r.id === s.currentId && isActive(r)) s.reset(); // stop it first: its metrics would have nowhere to go
    s.removeRun(r.id);
  };
  return (
    <>
      <p className="line-key">
        <span className="solid" /> training loss{' '}
        <span className="faint" /> raw <span className="dashed" /> {lm ? 'eval loss on held-out fine-tuning text (what it learned)' : 'eval loss'}
        {lm && (
          <>
            {' '}
            <span className="dotted" /> eval loss on held-out pretraining text (what it forgot)
          </>
        )}
      </p>
      <ul className="legend" aria-label="Runs" data-testid="legend">
        {runs.map((r) => {
          const title = runTitle(r);
          const loss = r.status.finalLoss ?? lastFinite(r);
          const bad = r.status.state === 'diverged' || r.status.state === 'collapsed';
          return (
            <li key={r.id} data-run-id={r.id} data-state={r.status.state} className={r.id === currentId ? 'current' : undefined} title={`Settings: ${configToQuery(r.config) || 'defaults'}`}>
              <span className="swatch" style={{ background: colours.get(r.id) }} aria-hidden="true" />
              <span className={`run-title${bad ? ' bad' : ''}`}>{title}</span>
              <span className="run-meta">
                {r.status.state} · step {liveProgress(r).step}
                {loss !== undefined && Number.isFinite(loss) ? ` · loss ${fmtNum(loss * lossUnit(r).scale)}${lm ? ' bits/byte' : ''}` : ''}
              </span>
              <button type="button" className="remove" aria-label={`Remove run ${title}`} title="Remove from the chart" onClick={() => remove(r)}>
                ×
              </button>
            </li>
          );
        })}
      </ul>
    </>
  );
}
