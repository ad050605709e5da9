/**
 * Views 2-4, one module over training: subspace agreement with the true change (each principal-angle
 * cosine and their mean), effective rank against the adapter's rank r (and the true rank r*), and the
 * dynamics (Frobenius norms of A, B and the update on a log axis, with the size of each factor's change
 * between inspections). Points downsampled to a few hundred; pure.
 */
import type { InspectPoint, ModuleInspect } from '../../engine/inspect';
import { downsample, PALETTE } from '../chartData';
import { linearDomain, linearTicks, logDomain, positive, type LinesData, type LineSeries, type XY } from './lines';
import type { Cell } from './numbers';

/** The module's entries over training, oldest first, at most `max` of them (the latest always kept). */
export function moduleHistory(points: readonly InspectPoint[], module: string, max?: number): { step: number; m: ModuleInspect }[] {
  const all = points.flatMap((p) => {
    const m = p.modules.find((x) => x.module === module);
    return m ? [{ step: p.step, m }] : [];
  });
  return downsample(all, max);
}

const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;

/** Each module's latest mean cosine with the truth (the number per layer), where it is known. */
export function latestAgreement(points: readonly InspectPoint[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of points) for (const m of p.modules) if (m.agreement?.length) out.set(m.module, mean(m.agreement));
  return out;
}

export function agreementData(points: readonly InspectPoint[], module: string): LinesData {
  const h = moduleHistory(points, module).filter((e) => e.m.agreement?.length);
  const k = Math.max(0, ...h.map((e) => e.m.agreement!.length));
  const cos: LineSeries[] = Array.from({ length: k }, (_, i) => ({
    key: `cos${i + 1}`,
    label: `cos θ${i + 1}`,
    colour: PALETTE[(i + 1) % PALETTE.length],
    points: h.filter((e) => e.m.agreement!.length > i).map((e) => ({ x: e.step, y: e.m.agreement![i] })),
  }));
  const meanLine: LineSeries = { key: 'mean', label: 'mean cosine', colour: PALETTE[0], points: h.map((e) => ({ x: e.step, y: mean(e.m.agreement!) })) };
  const rows = h.map((e): Cell[] => [e.step, mean(e.m.agreement!), ...Array.from({ length: k }, (_, i) => e.m.agreement![i] ?? null)]);
  return {
    // the mean drawn last, on top, thicker in the chart; the cosines thin and dashed beneath it
    series: [...cos.map((s) => ({ ...s, dash: '4 3' })), meanLine],
    refs: [],
    yDomain: [0, 1],
    yTicks: [0, 0.2, 0.4, 0.6, 0.8, 1],
    log: false,
    table: { columns: ['step', 'mean_cosine', ...cos.map((s) => s.key)], rows },
    json: JSON.stringify(h.map((e) => [e.step, e.m.agreement])),
  };
}

export function effRankData(points: readonly InspectPoint[], module: string, trueRank?: number): LinesData {
  const h = moduleHistory(points, module);
  const r = h.length ? h[h.length - 1].m.r : 0;
  const line: XY[] = h.map((e) => ({ x: e.step, y: e.m.effRank }));
  const refs: LinesData['refs'] = [];
  if (r > 0) refs.push({ y: r, label: `adapter rank r = ${r}`, colour: '#d55e00', dash: '6 4' });
  if (trueRank !== undefined) refs.push({ y: trueRank, label: `true rank r* = ${trueRank}`, colour: '#5a6478', dash: '2 3' });
  const yDomain = linearDomain(
    line.map((p) => p.y),
    Math.max(r, trueRank ?? 0, 1),
  );
  return {
    series: [{ key: 'effRank', label: 'effective rank', colour: PALETTE[0], points: line }],
    refs,
    yDomain,
    yTicks: linearTicks(yDomain[1]),
    log: false,
    table: { columns: ['step', 'eff_rank', 'r'], rows: h.map((e) => [e.step, e.m.effRank, e.m.r]) },
    json: JSON.stringify(h.map((e) => [e.step, e.m.effRank, e.m.r])),
  };
}

/** Which quantities the dynamics view draws, their colours and dashes (norms solid, steps dashed). */
const DYNAMICS: { key: keyof ModuleInspect & string; label: string; colour: string; dash?: string }[] = [
  { key: 'normA', label: '‖A‖', colour: '#0072b2' },
  { key: 'normB', label: '‖B‖', colour: '#d55e00' },
  { key: 'normDelta', label: '‖ΔW‖', colour: '#1d2330' },
  { key: 'stepA', label: '‖A change‖ per inspection', colour: '#0072b2', dash: '4 3' },
  { key: 'stepB', label: '‖B change‖ per inspection', colour: '#d55e00', dash: '4 3' },
];

export function dynamicsData(points: readonly InspectPoint[], module: string): LinesData {
  const h = moduleHistory(points, module);
  const value = (m: ModuleInspect, key: string): number | undefined => (m as unknown as Record<string, number | undefined>)[key];
  const present = DYNAMICS.filter((d) => h.some((e) => value(e.m, d.key) !== undefined));
  const series = present.map((d): LineSeries => ({ key: d.key, label: d.label, colour: d.colour, dash: d.dash, points: positive(h.flatMap((e) => (value(e.m, d.key) === undefined ? [] : [{ x: e.step, y: value(e.m, d.key)! }]))) }));
  return {
    series,
    refs: [],
    yDomain: logDomain(series.flatMap((s) => s.points.map((p) => p.y))),
    log: true,
    table: { columns: ['step', ...present.map((d) => d.key)], rows: h.map((e) => [e.step, ...present.map((d) => value(e.m, d.key) ?? null)]) },
    json: JSON.stringify(h.map((e) => ({ step: e.step, ...Object.fromEntries(present.map((d) => [d.key, value(e.m, d.key) ?? null])) }))),
  };
}
