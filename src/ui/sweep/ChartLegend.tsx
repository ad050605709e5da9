/** A chart's legend on the page, drawn from the same items as the legend inside its exported image. */
import { keyIcon, type LegendItem } from './svgDocument';

export function ChartLegend({ items, label }: { items: readonly LegendItem[]; label: string }) {
  if (items.length === 0) return null;
  return (
    <ul className="sweep-legend" aria-label={label}>
      {items.map((it) => (
        <li key={`${it.label}/${it.colour}/${it.shape ?? ''}/${it.dash ?? ''}`}>
          {/* the key is markup built by svgDocument.ts from escaped strings, the same as the export's */}
          <span className="key" dangerouslySetInnerHTML={{ __html: keyIcon(it) }} />
          {it.label}
        </li>
      ))}
    </ul>
  );
}
