/**
 * Files out of the page: text (CSV, JSON) and charts as SVG or PNG. A chart's SVG is the one Recharts
 * (or the heatmap) drew, serialised with its size fixed and framed by svgDocument.ts with a white
 * background, the chart's title and its legend, so the image stands alone in a report; the PNG is that
 * SVG drawn onto a canvas at 2x (an <img> of an SVG blob renders without scripts or outside resources).
 */
import { chartDocument, type LegendItem } from './svgDocument';

/** Offer `blob` as a download named `name`. */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadText(text: string, name: string, type: string): void {
  downloadBlob(new Blob([text], { type }), name);
}

/** What an exported image carries besides the chart: its title and its legend (see svgDocument.ts). */
export interface ChartFrame {
  title?: string;
  legend?: readonly LegendItem[];
}

/** The chart's SVG as a standalone document (namespaces, size, white background, page font, title, legend). */
export function svgText(container: HTMLElement, frame: ChartFrame = {}): { text: string; width: number; height: number } | null {
  const svg = container.querySelector('svg');
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  const width = Math.max(1, Math.round(box.width));
  const height = Math.max(1, Math.round(box.height));
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(width));
  copy.setAttribute('height', String(height));
  if (!copy.getAttribute('viewBox')) copy.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const chart = new XMLSerializer().serializeToString(copy);
  return chartDocument({ chart, width, height, title: frame.title, legend: frame.legend, font: getComputedStyle(container).fontFamily });
}

export function downloadSvg(container: HTMLElement | null, name: string, frame?: ChartFrame): void {
  const s = container && svgText(container, frame);
  if (s) downloadText(s.text, `${name}.svg`, 'image/svg+xml');
}

export async function downloadPng(container: HTMLElement | null, name: string, frame?: ChartFrame, scale = 2): Promise<void> {
  const s = container && svgText(container, frame);
  if (!s) return;
  const url = URL.createObjectURL(new Blob([s.text], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the chart could not be drawn as an image'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = s.width * scale;
    canvas.height = s.height * scale;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const png = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (png) downloadBlob(png, `${name}.png`);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A file name part from a sweep name: letters, digits and dashes. */
export function fileStem(name: string): string {
  return name.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'sweep';
}
