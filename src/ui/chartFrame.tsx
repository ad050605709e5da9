/**
 * What the page's Recharts charts share to keep a redraw cheap (a chart redraws a few times a second
 * while training):
 * - `useChartWidth`: the chart's width, measured here by one ResizeObserver per chart, passed to the chart
 *   as a number. (Recharts' own `responsive` container re-measures its box, a forced layout of the page,
 *   and re-creates its observer on every redraw.)
 * - `plainTick`: axis tick labels drawn as plain SVG text. (Recharts' own label measures each new
 *   label's words in the DOM to wrap them, another forced layout each time the ticks change; numeric
 *   tick labels never wrap.)
 */
import { useCallback, useRef, useState } from 'react';
import { fmtTick } from '../format';

/**
 * A callback ref for the chart's box, and the box's width in whole pixels (0 until it is attached and
 * laid out). It follows the box that is attached now, one that mounts later included.
 */
export function useChartWidth<T extends HTMLElement>(): [(el: T | null) => void, number] {
  const [width, setWidth] = useState(0);
  const observer = useRef<ResizeObserver | null>(null);
  const ref = useCallback((el: T | null) => {
    observer.current?.disconnect();
    observer.current = null;
    if (!el) return;
    setWidth(Math.floor(el.clientWidth));
    observer.current = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w !== undefined) setWidth(Math.floor(w));
    });
    observer.current.observe(el);
  }, []);
  return [ref, width];
}

interface TickProps {
  x?: number | string;
  y?: number | string;
  payload?: { value: unknown };
  textAnchor?: 'start' | 'middle' | 'end' | 'inherit';
  verticalAnchor?: string;
  index?: number;
}

/** Vertical offsets of Recharts' own tick labels, by their vertical anchor. */
const DY: Record<string, string> = { start: '0.71em', middle: '0.355em', end: '0' };

/** A tick renderer for an axis: its label is `format(value)`, in Recharts' tick colour and size. */
export function plainTick(format: (v: number) => string = String) {
  return function PlainTick({ x, y, payload, textAnchor, verticalAnchor }: TickProps) {
    const v = payload?.value;
    return (
      <text x={x} y={y} dy={DY[verticalAnchor ?? 'middle'] ?? '0.355em'} textAnchor={textAnchor} fill="#666" fontSize={12} className="recharts-cartesian-axis-tick-value">
        {typeof v === 'number' ? format(v) : String(v ?? '')}
      </text>
    );
  };
}

/**
 * `value` as it was while `key` stays the same: a chart whose inputs are rebuilt on every store update
 * (a sweep's flush) but say the same thing is not redrawn.
 */
export function useSameWhile<T>(value: T, key: string): T {
  const kept = useRef<{ key: string; value: T } | null>(null);
  if (kept.current?.key !== key) kept.current = { key, value };
  return kept.current.value;
}

/** The two tick labels most charts use: a number as it is (steps, indices, ranks), and a value in fmtTick's short form. */
export const NUMBER_TICK = plainTick();
export const VALUE_TICK = plainTick(fmtTick);
