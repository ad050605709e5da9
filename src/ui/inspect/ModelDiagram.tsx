/**
 * View 0: the model, drawn from the page's settings (modelLayout.ts): frozen weights grey, trained ones
 * (LoRA's A and B, or fully trained weights) orange, parameter counts on hover; it redraws as rank,
 * targets and mode change. Clicking a trained module (or Enter on it) selects it for the views below.
 */
import { ChartPanel } from '../sweep/ChartPanel';
import type { LegendItem } from '../sweep/svgDocument';
import type { BlockKind, ModelLayout } from './modelLayout';
import type { NumberTable } from './numbers';
import { tableCsv, tableJson } from './numbers';

export const KIND_FILL: Record<BlockKind, string> = { frozen: '#c9d0db', lora: '#c9d0db', full: '#e69f00', factor: '#e69f00' };
const LEGEND: LegendItem[] = [
  { label: 'frozen weight', colour: KIND_FILL.frozen, shape: 'box' },
  { label: 'trained (LoRA factors A, B or fully trained weight)', colour: KIND_FILL.factor, shape: 'box' },
  { label: 'selected module', colour: '#1d2330', shape: 'ring' },
];

/** Every block: what the CSV / JSON export of the drawing holds. */
function blocksTable(l: ModelLayout): NumberTable {
  return { columns: ['block', 'kind', 'rows', 'cols', 'parameters'], rows: l.blocks.map((b) => [b.id, b.kind, Math.round(b.h), Math.round(b.w), b.params]) };
}

interface Props {
  layout: ModelLayout;
  selected: string | null;
  onSelect(module: string): void;
  file: string;
  /** The two sentences beside the drawing. */
  story: string;
}

export function ModelDiagram({ layout, selected, onSelect, file, story }: Props) {
  const { blocks, width, height } = layout;
  const share = layout.baseParams ? (100 * layout.trainedParams) / layout.baseParams : 0;
  return (
    <ChartPanel
      title="The model"
      file={`${file}-model`}
      legend={LEGEND}
      numbers={{ csv: () => tableCsv(blocksTable(layout)), json: () => tableJson(blocksTable(layout)) }}
      className="inspect-model"
      after={
        <p className="model-story">
          {story} Trained: {layout.trainedParams.toLocaleString('en-US')} parameters, {share < 0.1 ? share.toPrecision(2) : share.toFixed(1)}% of the base’s {layout.baseParams.toLocaleString('en-US')} in its linear layers.
        </p>
      }
    >
      <div className="model-drawing" data-testid="inspect-model" data-series={JSON.stringify(blocks.map((b) => ({ id: b.id, kind: b.kind, w: b.w, h: b.h, params: b.params })))}>
        <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-label="The model's layers; trained modules can be selected">
          <defs>
            <marker id="inspect-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">
              <path d="M0,0L8,4L0,8Z" fill="#8a93a6" />
            </marker>
          </defs>
          {layout.links.map((k, i) => (
            <line key={`l${i}`} x1={k.x1} y1={k.y1} x2={k.x2} y2={k.y2} stroke="#8a93a6" strokeWidth={1.5} markerEnd="url(#inspect-arrow)" />
          ))}
          {layout.joins.map((k, i) => (
            <line key={`j${i}`} x1={k.x1} y1={k.y1} x2={k.x2} y2={k.y2} stroke="#e69f00" strokeWidth={1.2} strokeDasharray="3 3" />
          ))}
          {blocks.map((b) => {
            const on = !!b.module && b.module === selected;
            const rect = <rect x={b.x} y={b.y} width={b.w} height={b.h} rx={b.kind === 'factor' ? 0.5 : 2} fill={KIND_FILL[b.kind]} stroke={on ? '#1d2330' : b.kind === 'lora' ? '#e69f00' : '#9aa3b5'} strokeWidth={on && b.kind !== 'factor' ? 2.5 : 1} />;
            if (!b.module) return <g key={b.id}>{rect}<title>{b.title}</title></g>;
            const m = b.module;
            return (
              <g
                key={b.id}
                className="selectable"
                role="button"
                tabIndex={b.kind === 'factor' ? -1 : 0} // one tab stop per module: its weight block
                aria-pressed={on}
                aria-label={`Select ${m}`}
                data-module={m}
                onClick={() => onSelect(m)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    onSelect(m);
                  }
                }}
              >
                {rect}
                <title>{b.title}</title>
              </g>
            );
          })}
          {layout.captions.map((c, i) => (
            <text key={`c${i}`} x={c.x} y={c.y} textAnchor={c.anchor} fontSize={c.small ? 10 : 12} fill={c.small ? '#5a6478' : '#1d2330'}>
              {c.text}
            </text>
          ))}
        </svg>
      </div>
    </ChartPanel>
  );
}
