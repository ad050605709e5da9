/**
 * One series of a Recharts chart drawn as a single SVG path through the chart's own axis scales
 * (Recharts' useXAxisScale / useYAxisScale), clipped to the plot area. The page's live charts redraw a
 * few times a second while training; a Recharts <Line> is a tree of some twenty components (labels,
 * clip paths, dots, animation, registration in the chart's store) that all re-render with it, and it
 * measures its path's length on every render. A path of a few hundred points needs none of that.
 * The axes need explicit domains (there is no <Line> data for Recharts to derive them from).
 */
import { Fragment, useId, type ReactElement } from 'react';
import { usePlotArea, useXAxisScale, useYAxisScale } from 'recharts';

export interface SeriesStyle {
  stroke: string;
  strokeWidth?: number;
  strokeOpacity?: number;
  strokeDasharray?: string;
  /** The series' name (its legend label): the path's aria-label. */
  name: string;
  /** A dot of this radius on every point (a spectrum's handful of values, each of which matters). */
  dot?: number;
}

/** The points of a series as SVG path data, in pixels; a non-finite pixel breaks the line. */
export function pathData(xs: readonly number[], ys: readonly number[]): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const y = ys[i];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** `points[i][xKey]` against `points[i].y`, drawn in the chart around it. */
export function SeriesPath<P extends { y: number }>({ points, xKey, style }: { points: readonly P[]; xKey: keyof P; style: SeriesStyle }) {
  const xScale = useXAxisScale();
  const yScale = useYAxisScale();
  const area = usePlotArea();
  const clip = useId();
  if (!xScale || !yScale || !area) return null;
  const xs = points.map((p) => Number(xScale(p[xKey])));
  const ys = points.map((p) => Number(yScale(p.y)));
  const { stroke, strokeWidth = 1.5, strokeOpacity, strokeDasharray, name, dot } = style;
  return (
    <g className="series" aria-label={name}>
      <clipPath id={clip}>
        <rect x={area.x} y={area.y} width={area.width} height={area.height} />
      </clipPath>
      <path className="series-path" clipPath={`url(#${clip})`} d={pathData(xs, ys)} fill="none" stroke={stroke} strokeWidth={strokeWidth} strokeOpacity={strokeOpacity} strokeDasharray={strokeDasharray} strokeLinejoin="round" />
      {dot !== undefined &&
        xs.map((x, i) => Number.isFinite(x) && Number.isFinite(ys[i]) && <circle key={i} className="series-dot" cx={x} cy={ys[i]} r={dot} fill={stroke} clipPath={`url(#${clip})`} />)}
    </g>
  );
}

/**
 * A marker for each point, drawn by `render` at the point's pixel position (what a Recharts <Scatter>
 * with a custom shape draws, without its per-point component tree); a point off the axes is left out.
 */
export function Markers<P extends { x: number; y: number }>({ points, render }: { points: readonly P[]; render: (cx: number, cy: number, p: P) => ReactElement }) {
  const xScale = useXAxisScale();
  const yScale = useYAxisScale();
  if (!xScale || !yScale) return null;
  return (
    <g className="markers">
      {points.map((p, i) => {
        const cx = Number(xScale(p.x));
        const cy = Number(yScale(p.y));
        return Number.isFinite(cx) && Number.isFinite(cy) ? <Fragment key={i}>{render(cx, cy, p)}</Fragment> : null;
      })}
    </g>
  );
}
