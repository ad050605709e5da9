import { describe, expect, it } from 'vitest';
import { analyzeSweep } from '../../sweep/analysis';
import { syntheticSweep } from '../../sweep/synthetic';
import { muaData, muaLegend } from './muaData';
import { FFT_COLOUR, rankColour } from './scales';
import { chartDocument, escapeXml, legendLayout, type LegendItem } from './svgDocument';

const CHART = '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><text>log2(learning rate)</text><text>final loss</text></svg>';

describe('an exported chart document', () => {
  const legend: LegendItem[] = [
    { label: 'r=1', colour: rankColour(1, [1, 16]) },
    { label: 'FFT', colour: FFT_COLOUR, dash: '6 4' },
    { label: 'diverged (top edge)', colour: '#b01030', shape: 'cross' },
  ];
  const doc = chartDocument({ chart: CHART, width: 400, height: 300, title: 'Final loss vs learning rate', legend, font: '"Segoe UI", sans-serif' });

  it('is one SVG with namespaces, the title, the chart (its axis labels) and every legend label', () => {
    expect(doc.text).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" xmlns:xlink="http:\/\/www\.w3\.org\/1999\/xlink"/);
    expect(doc.text).toContain('>Final loss vs learning rate</text>');
    expect(doc.text).toContain('log2(learning rate)');
    expect(doc.text).toContain('final loss');
    for (const it of legend) expect(doc.text).toContain(`>${it.label}</text>`);
  });

  it('draws each key in its colour and dash, below the chart, and grows the document to hold them', () => {
    expect(doc.text).toContain(`stroke="${FFT_COLOUR}" stroke-width="2.2" stroke-dasharray="6 4"`);
    expect(doc.text).toContain(`stroke="${rankColour(1, [1, 16])}"`);
    expect(doc.height).toBeGreaterThan(24 + 300);
    expect(doc.text).toContain(`height="${doc.height}" viewBox="0 0 400 ${doc.height}"`);
    expect(doc.text).toContain('<g transform="translate(0 24)"><svg');
    const legendAt = doc.text.indexOf('<g class="legend">');
    expect(legendAt).toBeGreaterThan(doc.text.indexOf('</svg></g>'));
  });

  it('escapes text and the page font', () => {
    expect(escapeXml('a < b & "c"')).toBe('a &lt; b &amp; &quot;c&quot;');
    const d = chartDocument({ chart: CHART, width: 400, height: 300, legend: [{ label: 'r<2 & more', colour: '#000' }], font: '"Segoe UI"' });
    expect(d.text).toContain('>r&lt;2 &amp; more</text>');
    expect(d.text).toContain('font-family: &quot;Segoe UI&quot;');
    expect(d.text).not.toContain('r<2');
  });

  it('without a title or legend the chart sits at the top and the size is the chart', () => {
    const d = chartDocument({ chart: CHART, width: 400, height: 300 });
    expect(d.height).toBe(300);
    expect(d.text).not.toContain('class="legend"');
  });

  it('wraps legend items into rows inside the width', () => {
    const items = Array.from({ length: 12 }, (_, i) => ({ label: `rank r=${2 ** i} (opt 2^-5.25)`, colour: '#000' }));
    const { at, height } = legendLayout(items, 400);
    expect(new Set(at.map((a) => a.y)).size).toBeGreaterThan(2);
    expect(at.every((a) => a.x + 26 + a.item.label.length * 6.8 <= 400)).toBe(true);
    expect(height).toBe((at[at.length - 1].y / 18 + 1) * 18 + 10);
  });
});

describe("the muA chart's exported legend", () => {
  const sweep = syntheticSweep({ ranks: [1, 4, 16], lr: { from: -8, to: -2, step: 1 }, alpha: { kind: 'alphaEff', values: [1] }, includeFft: true }, (g) =>
    g.axes.log2lr === -2 ? 'diverged' : 0.05 * (g.axes.log2lr + 5) ** 2 + 0.1 + 0.01 * g.config.r,
  );
  const data = muaData(analyzeSweep(sweep));
  const legend = muaLegend(data);

  it('names every rank in its colour, FFT dashed red, and the markers that occur', () => {
    expect(legend.slice(0, 4).map((l) => l.label.split(' ')[0])).toEqual(['r=1', 'r=4', 'r=16', 'FFT']);
    expect(legend[0].colour).toBe(rankColour(1, [1, 4, 16]));
    expect(legend[3]).toMatchObject({ colour: FFT_COLOUR, dash: '6 4' });
    expect(legend.map((l) => l.label)).toContain('diverged (top edge)');
    expect(legend.map((l) => l.label)).not.toContain('collapsed (top edge)');
  });

  it('ends up in the exported SVG text', () => {
    const doc = chartDocument({ chart: CHART, width: 640, height: 360, title: 'Final loss vs learning rate', legend });
    for (const l of legend) expect(doc.text).toContain(`>${escapeXml(l.label)}</text>`);
  });
});
