/**
 * An exported chart as one standalone SVG document: a title on top, the chart's own SVG (with its axis
 * labels) below it, and its legend drawn in SVG under the chart. On the page a chart's legend is HTML
 * beside the SVG, so an image of the SVG alone would not say what its colours mean; this puts the legend
 * into the file (and so into the PNG, which is drawn from this SVG). Pure string building, no DOM: the
 * layout of the legend uses an estimate of text width, which is all a left-to-right flow of items needs.
 */

/** How an item's key is drawn: a line (dashed when `dash`), a filled box, or a marker shape. */
export type LegendShape = 'line' | 'box' | 'dot' | 'ring' | 'square' | 'triangle' | 'diamond' | 'cross';

export interface LegendItem {
  label: string;
  colour: string;
  shape?: LegendShape; // 'line' by default
  /** SVG stroke-dasharray of a line ('' or absent = solid). */
  dash?: string;
}

const FONT_PX = 12;
/** Average advance of a character at 12px in a sans-serif face; generous so labels never overlap. */
const CHAR_PX = 6.8;
const KEY_PX = 22;
const GAP_PX = 14;
const ROW_PX = 18;
const PAD_PX = 10;
const TITLE_PX = 24;

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Where each item goes when they flow left to right in rows no wider than `width`. */
export function legendLayout(items: readonly LegendItem[], width: number): { at: { x: number; y: number; item: LegendItem }[]; height: number } {
  const at: { x: number; y: number; item: LegendItem }[] = [];
  let x = PAD_PX;
  let row = 0;
  for (const item of items) {
    const w = KEY_PX + 4 + item.label.length * CHAR_PX;
    if (x > PAD_PX && x + w > width - PAD_PX) {
      row++;
      x = PAD_PX;
    }
    at.push({ x, y: row * ROW_PX, item });
    x += w + GAP_PX;
  }
  return { at, height: items.length ? (row + 1) * ROW_PX + PAD_PX : 0 };
}

/** The key of one item, KEY_PX wide, centred on the row's middle line `cy`. */
function keySvg(item: LegendItem, x: number, cy: number): string {
  const c = escapeXml(item.colour);
  const mx = x + KEY_PX / 2;
  switch (item.shape ?? 'line') {
    case 'line':
      return `<line x1="${x}" y1="${cy}" x2="${x + KEY_PX}" y2="${cy}" stroke="${c}" stroke-width="2.2"${item.dash ? ` stroke-dasharray="${escapeXml(item.dash)}"` : ''}/>`;
    case 'box':
      return `<rect x="${mx - 6}" y="${cy - 6}" width="12" height="12" rx="2" fill="${c}"/>`;
    case 'dot':
      return `<circle cx="${mx}" cy="${cy}" r="5" fill="${c}"/>`;
    case 'ring':
      return `<circle cx="${mx}" cy="${cy}" r="5" fill="#fff" stroke="${c}" stroke-width="2"/>`;
    case 'square':
      return `<rect x="${mx - 4.5}" y="${cy - 4.5}" width="9" height="9" fill="${c}"/>`;
    case 'triangle':
      return `<path d="M${mx},${cy - 6}L${mx + 6},${cy + 5}L${mx - 6},${cy + 5}Z" fill="#fff" stroke="${c}" stroke-width="2"/>`;
    case 'diamond':
      return `<path d="M${mx},${cy - 6}L${mx + 6},${cy}L${mx},${cy + 6}L${mx - 6},${cy}Z" fill="${c}"/>`;
    case 'cross':
      return `<path d="M${mx - 5},${cy - 5}L${mx + 5},${cy + 5}M${mx - 5},${cy + 5}L${mx + 5},${cy - 5}" stroke="${c}" stroke-width="2.2"/>`;
  }
}

/** One item's key as a small standalone <svg> (the page's HTML legend shows the same keys as the file). */
export function keyIcon(item: LegendItem): string {
  return `<svg width="${KEY_PX}" height="14" viewBox="0 0 ${KEY_PX} 14" aria-hidden="true">${keySvg(item, 0, 7)}</svg>`;
}

/** The legend as SVG markup starting at y = `top`, and its height. */
export function legendSvg(items: readonly LegendItem[], width: number, top: number): { markup: string; height: number } {
  const { at, height } = legendLayout(items, width);
  const parts = at.map(({ x, y, item }) => {
    const cy = top + y + ROW_PX / 2;
    return `${keySvg(item, x, cy)}<text x="${x + KEY_PX + 4}" y="${cy + 4}" font-size="${FONT_PX}" fill="#1d2330">${escapeXml(item.label)}</text>`;
  });
  return { markup: parts.length ? `<g class="legend">${parts.join('')}</g>` : '', height };
}

export interface ChartDocumentInput {
  /** The chart's serialised <svg> element, `width` x `height`. */
  chart: string;
  width: number;
  height: number;
  title?: string;
  legend?: readonly LegendItem[];
  /** CSS font-family of the page, so the file looks as the chart did. */
  font?: string;
}

/** The whole file: white background, title, the chart moved below it, the legend under the chart. */
export function chartDocument(d: ChartDocumentInput): { text: string; width: number; height: number } {
  const top = d.title ? TITLE_PX : 0;
  const legend = legendSvg(d.legend ?? [], d.width, top + d.height + 4);
  const height = top + d.height + (legend.height ? legend.height + 4 : 0);
  const font = escapeXml(d.font ?? 'system-ui, sans-serif');
  const title = d.title ? `<text x="${PAD_PX}" y="17" font-size="14" font-weight="600" fill="#1d2330">${escapeXml(d.title)}</text>` : '';
  const text =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${d.width}" height="${height}" viewBox="0 0 ${d.width} ${height}" style="font-family: ${font}; font-size: ${FONT_PX}px; background: #fff">` +
    `<rect width="100%" height="100%" fill="#fff"/>${title}<g transform="translate(0 ${top})">${d.chart}</g>${legend.markup}</svg>`;
  return { text, width: d.width, height };
}
