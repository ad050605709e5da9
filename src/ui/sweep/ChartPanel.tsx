/**
 * A chart's frame: title, a line of explanation, and its exports: the chart as SVG / PNG (with its title
 * and `legend` drawn into the image, see svgDocument.ts) and, when the chart gives them, its numbers as
 * CSV / JSON.
 */
import { useRef, type ReactNode } from 'react';
import { downloadPng, downloadSvg, downloadText } from './chartExport';
import type { LegendItem } from './svgDocument';

/** A chart's numbers as files: built only when a button asks for them. */
export interface ChartNumbers {
  csv(): string;
  json(): unknown;
}

interface Props {
  title: string;
  file: string;
  note?: ReactNode;
  head?: ReactNode;
  /** What the exported image's legend says (the page's own legend may be richer HTML). */
  legend?: readonly LegendItem[];
  numbers?: ChartNumbers;
  /** Below the chart, outside what is exported as an image (legends, tables). */
  after?: ReactNode;
  children: ReactNode;
  className?: string;
}

export function ChartPanel(props: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const frame = { title: props.title, legend: props.legend };
  const { numbers } = props;
  return (
    <section className={`panel sweep-chart ${props.className ?? ''}`} aria-label={props.title}>
      <div className="chart-head">
        <h2>{props.title}</h2>
        {props.head}
        <span className="export-buttons">
          <button type="button" onClick={() => downloadSvg(ref.current, props.file, frame)} title="Download this chart as SVG (with its legend)">
            SVG
          </button>
          <button type="button" onClick={() => void downloadPng(ref.current, props.file, frame)} title="Download this chart as PNG (with its legend)">
            PNG
          </button>
          {numbers && (
            <>
              <button type="button" onClick={() => downloadText(numbers.csv(), `${props.file}.csv`, 'text/csv')} title="Download the chart's numbers as CSV">
                CSV
              </button>
              <button type="button" onClick={() => downloadText(JSON.stringify(numbers.json(), null, 1), `${props.file}.json`, 'application/json')} title="Download the chart's numbers as JSON">
                JSON
              </button>
            </>
          )}
        </span>
      </div>
      <div ref={ref}>{props.children}</div>
      {props.after}
      {props.note && <p className="chart-note">{props.note}</p>}
    </section>
  );
}
