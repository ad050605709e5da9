/** A sweep chart's frame: title, a line of explanation, SVG / PNG export of the chart inside. */
import { useRef, type ReactNode } from 'react';
import { downloadPng, downloadSvg } from './chartExport';

export function ChartPanel(props: { title: string; file: string; note?: ReactNode; head?: ReactNode; children: ReactNode; className?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  return (
    <section className={`panel sweep-chart ${props.className ?? ''}`} aria-label={props.title}>
      <div className="chart-head">
        <h2>{props.title}</h2>
        {props.head}
        <span className="export-buttons">
          <button type="button" onClick={() => downloadSvg(ref.current, props.file)} title="Download this chart as SVG">
            SVG
          </button>
          <button type="button" onClick={() => void downloadPng(ref.current, props.file)} title="Download this chart as PNG">
            PNG
          </button>
        </span>
      </div>
      <div ref={ref}>{props.children}</div>
      {props.note && <p className="chart-note">{props.note}</p>}
    </section>
  );
}
