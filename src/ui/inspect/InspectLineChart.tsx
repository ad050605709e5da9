/**
 * One line view of the panel (LinesData from spectrumData.ts / trainingSeries.ts): its series and
 * reference lines, axis labels, legend, the table of its numbers, and SVG / PNG / CSV / JSON exports.
 * `data-series` holds the numbers for tests.
 */
import type { ReactNode } from 'react';
import { CartesianGrid, LineChart, XAxis, YAxis } from 'recharts';
import { logTicks } from '../../format';
import { ChartLegend } from '../sweep/ChartLegend';
import { ChartPanel } from '../sweep/ChartPanel';
import { indexTicks, linesLegend, type LinesData } from './lines';
import { tableCsv, tableJson } from './numbers';
import { NumbersTable } from './NumbersTable';
import { SeriesPath } from '../SeriesPath';
import { NUMBER_TICK, useChartWidth, VALUE_TICK } from '../chartFrame';

interface Props {
  title: string;
  file: string;
  testId: string;
  data: LinesData;
  xLabel: string;
  yLabel: string;
  /** Shown instead of the chart when no series has a point. */
  empty: string;
  note?: ReactNode;
  /** Discrete x (an index): integer ticks and a dot on every point. */
  discrete?: boolean;
  height?: number;
}

export function InspectLineChart({ title, file, testId, data, xLabel, yLabel, empty, note, discrete, height = 230 }: Props) {
  const [frame, width] = useChartWidth<HTMLDivElement>();
  const drawn = data.series.filter((s) => s.points.length > 0);
  const legend = linesLegend(data);
  const xs = drawn.flatMap((s) => s.points.map((p) => p.x));
  const [lo, hi] = data.yDomain;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const [xLo, xHi] = discrete ? [0.5, xMax + 0.5] : [xs.length ? Math.min(...xs) : 0, xMax];
  return (
    <ChartPanel
      title={title}
      file={file}
      legend={legend}
      numbers={{ csv: () => tableCsv(data.table), json: () => tableJson(data.table) }}
      note={note}
      after={
        <>
          <ChartLegend items={legend} label={`${title}: lines`} />
          <NumbersTable table={data.table} caption={title} />
        </>
      }
    >
      <div className="chart inspect-chart" data-testid={testId} data-series={data.json} ref={frame}>
        {drawn.length === 0 ? (
          <p className="empty">{empty}</p>
        ) : (
          width > 0 && (
            <LineChart width={width} height={height} margin={{ top: 8, right: 16, bottom: 22, left: 4 }}>
              <CartesianGrid stroke="#e8ebf1" />
              <XAxis
                type="number"
                allowDataOverflow
                dataKey="x"
                domain={[xLo, xHi]}
                allowDecimals={false}
                ticks={discrete ? indexTicks(xMax) : undefined}
                // interval 0: these few numeric ticks never overlap, and Recharts then skips measuring each label in the DOM
                interval={0}
                tick={NUMBER_TICK}
                label={{ value: xLabel, position: 'insideBottom', offset: -12 }}
              />
              <YAxis
                type="number"
                dataKey="y"
                scale={data.log ? 'log' : 'linear'}
                domain={[lo, hi]}
                allowDataOverflow
                ticks={data.log ? logTicks(lo, hi) : data.yTicks}
                tick={VALUE_TICK}
                interval={0}
                width={74}
                label={{ value: yLabel, angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } }}
              />
              {data.refs.map((r) => (
                <SeriesPath key={r.label} points={[{ x: xLo, y: r.y }, { x: xHi, y: r.y }]} xKey="x" style={{ stroke: r.colour, strokeWidth: 1, strokeDasharray: r.dash, name: r.label }} />
              ))}
              {drawn.map((s) => (
                // a spectrum is a handful of values, each of which matters: mark them
                <SeriesPath key={s.key} points={s.points} xKey="x" style={{ stroke: s.colour, strokeWidth: s.dash ? 1.5 : 2, strokeDasharray: s.dash, name: s.label, dot: discrete ? 3 : undefined }} />
              ))}
            </LineChart>
          )
        )}
      </div>
    </ChartPanel>
  );
}
