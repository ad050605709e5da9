/**
 * Files out of the page: text (CSV, JSON) and charts as SVG or PNG. A chart's SVG is the one Recharts
 * (or the heatmap) drew, serialised with a white background and its size fixed; the PNG is that SVG
 * drawn onto a canvas at 2x (an <img> of an SVG blob renders without scripts or outside resources).
 */

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

/** The chart's SVG as a standalone document (namespaces, size, white background, page font). */
export function svgText(container: HTMLElement): { text: string; width: number; height: number } | null {
  const svg = container.querySelector('svg');
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  const width = Math.max(1, Math.round(box.width));
  const height = Math.max(1, Math.round(box.height));
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('xmlns:xlink', 'http://www.w3.org/1999/xlink');
  copy.setAttribute('width', String(width));
  copy.setAttribute('height', String(height));
  if (!copy.getAttribute('viewBox')) copy.setAttribute('viewBox', `0 0 ${width} ${height}`);
  copy.setAttribute('style', `font-family: ${getComputedStyle(container).fontFamily}; font-size: 12px; background: #fff`);
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', '#fff');
  copy.insertBefore(bg, copy.firstChild);
  return { text: new XMLSerializer().serializeToString(copy), width, height };
}

export function downloadSvg(container: HTMLElement | null, name: string): void {
  const s = container && svgText(container);
  if (s) downloadText(s.text, `${name}.svg`, 'image/svg+xml');
}

export async function downloadPng(container: HTMLElement | null, name: string, scale = 2): Promise<void> {
  const s = container && svgText(container);
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
