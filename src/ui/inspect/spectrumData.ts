/**
 * View 1: the singular values of one module's update at one logged step (descending, by index), against
 * the true change's on the toy task. On a log axis, with the axis floor 5 decades under the largest
 * value: a rank-8 adapter on an r* = 4 task shows 4 values on the truth and the other 4 far below
 * (values under the floor sit on it; the table keeps them as measured). Pure.
 */
import type { InspectPoint, ModuleInspect } from '../../engine/inspect';
import { positive, type LinesData, type XY } from './lines';

/** How far below the largest singular value the axis reaches (a ratio): smaller values sit on the floor. */
export const SPECTRUM_DECADES = 5;
export const LEARNED_COLOUR = '#0072b2';
export const TRUTH_COLOUR = '#1d2330';

/** The module's entry in a point, if the point has it. */
export const moduleAt = (p: InspectPoint | undefined, module: string): ModuleInspect | undefined => p?.modules.find((m) => m.module === module);

export const REFERENCE_COLOUR = '#d55e00';

/**
 * `reference`: the same module's update in another run on the page (the language model has no true
 * change: a full fine-tuning run of the same matrices is what a LoRA update is compared with).
 */
export function spectrumData(m: ModuleInspect | undefined, reference?: { label: string; m: ModuleInspect }): LinesData {
  const sigma = m?.sigma ?? [];
  const truth = m?.trueSigma ?? [];
  const ref = reference?.m.sigma ?? [];
  const top = Math.max(0, ...sigma, ...truth, ...ref);
  const floor = top > 0 ? top * 10 ** -SPECTRUM_DECADES : 1e-6;
  const drawn = (v: readonly number[]): XY[] => positive(v.map((y, i) => ({ x: i + 1, y: Math.max(y, floor) })));
  const n = Math.max(sigma.length, truth.length, ref.length);
  const rows = Array.from({ length: n }, (_, i) => [i + 1, sigma[i] ?? null, truth.length ? (truth[i] ?? null) : null, ...(reference ? [ref[i] ?? null] : [])]);
  const table = { columns: ['index', 'sigma', 'true_sigma', ...(reference ? ['reference_sigma'] : [])], rows };
  const label = m?.mode === 'full' ? `full fine-tuning update (top ${sigma.length})` : `learned update (r = ${m?.r ?? '?'})`;
  return {
    series: [
      { key: 'sigma', label, colour: LEARNED_COLOUR, points: drawn(sigma) },
      { key: 'truth', label: 'true change', colour: TRUTH_COLOUR, dash: '5 4', points: drawn(truth) },
      ...(reference ? [{ key: 'reference', label: reference.label, colour: REFERENCE_COLOUR, dash: '2 3', points: drawn(ref) }] : []),
    ],
    refs: [],
    yDomain: [floor, top > 0 ? top * 2 : 1],
    log: true,
    table,
    json: JSON.stringify({ module: m?.module ?? null, sigma, trueSigma: m?.trueSigma ?? null, ...(reference ? { reference: { label: reference.label, sigma: ref } } : {}) }),
  };
}
