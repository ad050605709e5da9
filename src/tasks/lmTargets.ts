/**
 * Sets of language-model target cells (RunConfig.lmTargets, cell = layer * 7 + type index) as people
 * write them, and what a set costs to train.
 * - Names: 'all'; 'q+v' = q_proj and v_proj on every layer (PEFT target_modules); 'q@1+v@1' = those
 *   of layer 1 only (layers_to_transform). A sweep's target-module axis is typed and shown this way.
 * - Cost: LoRA trains r (dIn + dOut) parameters per adapted projection (A is (r, dIn), B is (dOut, r));
 *   full fine-tuning trains its dIn dOut weights. Shapes from the shipped base (BASE_SHAPE).
 */
import { LM_CELLS, LM_LAYERS } from '../config/schema';
import type { LlamaShape } from '../ref/llama';
import { BASE_SHAPE } from './llamaBase';
import { cellOf, cellTypesAndLayers, llamaLinearsFromCells, MODULE_TYPES, type ModuleType } from './llamaModel';

const T = MODULE_TYPES.length;
const everyLayer = Array.from({ length: LM_LAYERS }, (_, l) => l);
const shortName = (t: ModuleType) => t.replace('_proj', '');

/** Every projection of every layer. */
export const ALL_CELLS: readonly number[] = Object.freeze([...Array(LM_CELLS).keys()]);

/** The cells of these module types on these layers (every layer by default), sorted. */
export function cellsOf(types: readonly ModuleType[], layers: readonly number[] = everyLayer): number[] {
  return layers.flatMap((l) => types.map((t) => cellOf(l, t))).sort((a, b) => a - b);
}

/** The set's name: 'all', 'q+v' (those types on every layer), or 'q@0+v@1' (cell by cell). */
export function formatTargetSet(cells: readonly number[]): string {
  const set = [...new Set(cells)].sort((a, b) => a - b);
  if (set.length === LM_CELLS) return 'all';
  const { types } = cellTypesAndLayers(set);
  if (set.length === types.length * LM_LAYERS) return types.map(shortName).join('+');
  return set.map((c) => `${shortName(MODULE_TYPES[c % T])}@${Math.floor(c / T)}`).join('+');
}

/** One token: 'all', a type ('q' or 'q_proj'), or a type on one layer ('q@1'). */
function tokenCells(token: string): number[] | null {
  if (token === 'all') return [...ALL_CELLS];
  const [name, layer, extra] = token.split('@');
  const type = MODULE_TYPES.find((t) => t === name || shortName(t) === name);
  if (!type || extra !== undefined) return null;
  if (layer === undefined) return cellsOf([type]);
  const l = Number(layer);
  return Number.isInteger(l) && l >= 0 && l < LM_LAYERS && layer.trim() !== '' ? [cellOf(l, type)] : null;
}

const RULE = `sets of projections like "q+v; all" (types ${MODULE_TYPES.map(shortName).join(', ')}; "q@1" = layer 1 only, layers 0..${LM_LAYERS - 1})`;

/** "q+v; all" -> [[0, 2, 7, 9], [0..13]]; a message when it does not parse. */
export function parseTargetSets(text: string): number[][] | string {
  const sets = text.split(';').map((s) => s.trim()).filter(Boolean);
  const out: number[][] = [];
  for (const s of sets) {
    const parts = s.toLowerCase().split(/[\s+,]+/).filter(Boolean).map(tokenCells);
    if (parts.length === 0 || parts.some((p) => p === null)) return `must be ${RULE}`;
    out.push([...new Set(parts.flat() as number[])].sort((a, b) => a - b));
  }
  return out;
}

export const formatTargetSets = (sets: readonly (readonly number[])[]): string => sets.map(formatTargetSet).join('; ');

/** Trainable parameters of a set: LoRA at rank r, or full fine-tuning of the same projections. */
export function targetParams(cells: readonly number[], mode: 'lora' | 'fft', r: number, shape: LlamaShape = BASE_SHAPE): number {
  let n = 0;
  for (const m of llamaLinearsFromCells(shape, cells, mode === 'fft' ? 'full' : 'lora')) if (m.mode !== 'frozen') n += mode === 'fft' ? m.dIn * m.dOut : r * (m.dIn + m.dOut);
  return n;
}

/** The rank at which `cells` trains about as many LoRA parameters as `ref` does at `refRank`. */
export function equalBudgetRank(cells: readonly number[], ref: readonly number[], refRank: number, shape: LlamaShape = BASE_SHAPE): number {
  return Math.max(1, Math.round((refRank * targetParams(ref, 'lora', 1, shape)) / targetParams(cells, 'lora', 1, shape)));
}
