/**
 * View 6, across a sweep (sweepSpectra.ts): per rank, the spectrum of its best run's update (full
 * fine-tuning's too: how many directions it really used) against the truth, and rank utilisation, the
 * effective rank against r with the line y = r. From the final inspection point of each sweep run.
 * Mounted in the sweep section with the sweep record as its only input.
 */
import { memo, useMemo, useState } from 'react';
import { CartesianGrid, LineChart, ReferenceLine, XAxis, YAxis } from 'recharts';
import { logTicks } from '../../format';
import type { SweepRecord } from '../../sweep/types';
import { ChartLegend } from '../sweep/ChartLegend';
import { fileStem } from '../sweep/chartExport';
import { ChartPanel } from '../sweep/ChartPanel';
import { FFT_COLOUR } from '../sweep/scales';
import type { LegendItem } from '../sweep/svgDocument';
import { indexTicks } from './lines';
import { tableCsv, tableJson } from './numbers';
import { NumbersTable } from './NumbersTable';
import { bestRuns, sweepModules, sweepSpectra, type BestRun } from './sweepSpectra';
import { NUMBER_TICK, useChartWidth, useSameWhile, VALUE_TICK } from '../chartFrame';
import { Markers, SeriesPath } from '../SeriesPath';

const DIAGONAL = '#8a93a6';
const TRUE_RANK = '#5a6478';

export function SweepSpectra({ sweep }: { sweep: SweepRecord }) {
  const fresh = useMemo(() => bestRuns(sweep), [sweep]);
  // a sweep's flush that leaves every rank's best run as it was does not redraw the two charts
  const best = useSameWhile(fresh, JSON.stringify(fresh.map((b) => [b.name, b.run.runId, b.point.step, b.finalLoss])));
  return <SpectraView best={best} name={sweep.name} />;
}

const SpectraView = memo(function SpectraView({ best, name }: { best: BestRun[]; name: string }) {
  const modules = useMemo(() => sweepModules(best), [best]);
  const [picked, setPicked] = useState<string | null>(null);
  const module = picked && modules.includes(picked) ? picked : (modules[0] ?? '');
  const d = useMemo(() => sweepSpectra(best, module), [best, module]);
  const [specFrame, specWidth] = useChartWidth<HTMLDivElement>();
  const [utilFrame, utilWidth] = useChartWidth<HTMLDivElement>();
  const file = fileStem(name);
  const numbers = { csv: () => tableCsv(d.table), json: () => tableJson(d.table) };
  const select = (
    <select aria-label="Module of the sweep's spectra" value={module} onChange={(e) => setPicked(e.target.value)} disabled={modules.length < 2}>
      {modules.map((m) => (
        <option key={m} value={m}>
          {m}
        </option>
      ))}
    </select>
  );
  if (best.length === 0)
    return (
      <ChartPanel title="Update spectra by rank" file={`${file}-spectra`}>
        <div className="chart inspect-chart" data-testid="sweep-spectra" data-series="[]">
          <p className="empty">No finished run of this sweep has an inspection of its weights (sweeps run before the inspection was added have none).</p>
        </div>
      </ChartPanel>
    );
  const specLegend: LegendItem[] = d.spectra.map((s) => ({ label: s.label, colour: s.colour, dash: s.dash }));
  const [slo, shi] = d.spectrumDomain;
  const xMax = Math.max(1, ...d.spectra.map((s) => s.points.length));
  const utilLegend: LegendItem[] = [
    ...d.util.map((u): LegendItem => ({ label: u.name, colour: u.colour, shape: 'dot' })),
    { label: 'y = r (every direction used)', colour: DIAGONAL, dash: '5 4' },
    ...(d.trueRank ? [{ label: `true rank r* = ${d.trueRank}`, colour: TRUE_RANK, dash: '2 3' }] : []),
    ...(d.fftEffRank !== null ? [{ label: 'full fine-tuning', colour: FFT_COLOUR, dash: '6 4' }] : []),
  ];
  const [ulo, uhi] = d.utilDomain;
  const ranks = d.diagonal.map((p) => p.x);
  const [rlo, rhi] = [Math.min(...ranks) / 1.5, Math.max(...ranks) * 1.5];
  return (
    <>
      <ChartPanel
        title="Update spectra by rank"
        file={`${file}-spectra`}
        head={select}
        legend={specLegend}
        numbers={numbers}
        note="Each rank’s best run (lowest final loss): the singular values of its update, log scale; full fine-tuning dashed red, the true change dotted. Ranks above r* should add only values near zero."
        after={
          <>
            <ChartLegend items={specLegend} label="Spectra" />
            <NumbersTable table={d.table} caption="Best run per rank" />
          </>
        }
      >
        <div className="chart inspect-chart" data-testid="sweep-spectra" data-series={d.json} ref={specFrame}>
          {specWidth > 0 && (
            <LineChart width={specWidth} height={260} margin={{ top: 8, right: 16, bottom: 22, left: 4 }}>
              <CartesianGrid stroke="#e8ebf1" />
              <XAxis type="number" allowDataOverflow dataKey="x" domain={[0.5, xMax + 0.5]} allowDecimals={false} ticks={indexTicks(xMax)} interval={0} tick={NUMBER_TICK} label={{ value: 'index i', position: 'insideBottom', offset: -12 }} />
              <YAxis type="number" dataKey="y" scale="log" domain={[slo, shi]} allowDataOverflow ticks={logTicks(slo, shi)} interval={0} tick={VALUE_TICK} width={74} label={{ value: 'singular value σᵢ', angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } }} />
              {d.spectra.map((s) => (
                <SeriesPath key={s.key} points={s.points} xKey="x" style={{ stroke: s.colour, strokeWidth: s.dash ? 1.5 : 2, strokeDasharray: s.dash, name: s.label, dot: 2.5 }} />
              ))}
            </LineChart>
          )}
        </div>
      </ChartPanel>
      <ChartPanel
        title="Rank utilisation"
        file={`${file}-rank-utilisation`}
        legend={utilLegend}
        numbers={numbers}
        note="Effective rank of each rank’s best update against its rank r, log-log. On the line y = r every direction is used; a rank past r* levels off near r*."
        after={
          <>
            <ChartLegend items={utilLegend} label="Rank utilisation" />
            <NumbersTable table={d.table} caption="Best run per rank" />
          </>
        }
      >
        <div className="chart inspect-chart" data-testid="sweep-rank-utilisation" data-series={JSON.stringify(d.util.map((u) => [u.x, u.y]))} ref={utilFrame}>
          {d.util.length === 0 ? (
            <p className="empty">No LoRA run with an inspection.</p>
          ) : (
            utilWidth > 0 && (
              <LineChart width={utilWidth} height={260} margin={{ top: 8, right: 40, bottom: 22, left: 4 }}>
                <CartesianGrid stroke="#e8ebf1" />
                <XAxis type="number" dataKey="x" scale="log" domain={[rlo, rhi]} ticks={ranks} interval={0} tick={NUMBER_TICK} allowDataOverflow label={{ value: 'adapter rank r', position: 'insideBottom', offset: -12 }} />
                <YAxis type="number" dataKey="y" scale="log" domain={[ulo, uhi]} allowDataOverflow ticks={logTicks(ulo, uhi)} interval={0} tick={VALUE_TICK} width={60} label={{ value: 'effective rank', angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } }} />
                <SeriesPath points={d.diagonal} xKey="x" style={{ stroke: DIAGONAL, strokeDasharray: '5 4', name: 'y = r' }} />
                {d.trueRank && <SeriesPath points={[{ x: rlo, y: d.trueRank }, { x: rhi, y: d.trueRank }]} xKey="x" style={{ stroke: TRUE_RANK, strokeWidth: 1, strokeDasharray: '2 3', name: `true rank r* = ${d.trueRank}` }} />}
                {d.fftEffRank !== null && <ReferenceLine y={d.fftEffRank} stroke={FFT_COLOUR} strokeDasharray="6 4" label={{ value: 'FFT', position: 'right', fill: FFT_COLOUR, fontSize: 11 }} />}
                <Markers points={d.util} render={(cx, cy, u) => <circle cx={cx} cy={cy} r={5} fill={u.colour} />} />
              </LineChart>
            )
          )}
        </div>
      </ChartPanel>
    </>
  );
});
