/**
 * The language model's linear modules as data (src/engine/model.ts's LinearModule): every projection of
 * every layer under its Hugging Face / PEFT name, in forward order, with which ones a run adapts. PEFT's
 * `target_modules` is the list of module types (q_proj, v_proj, ...); `layers_to_transform` narrows them to
 * some layers.
 */
import type { LayerMode } from '../engine/layout';
import type { LinearModule } from '../engine/model';
import type { LlamaShape } from '../ref/llama';

export const MODULE_TYPES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type ModuleType = (typeof MODULE_TYPES)[number];

/** Which projections a run trains: module types, on the listed layers (0-based, as HF numbers them). */
export interface LlamaTargets {
  types: readonly ModuleType[];
  layers: readonly number[];
  mode: Exclude<LayerMode, 'frozen'>;
}

/** (dIn, dOut) of a module type. */
export function moduleShape(s: LlamaShape, t: ModuleType): { dIn: number; dOut: number } {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  switch (t) {
    case 'q_proj': return { dIn: s.hidden, dOut: q };
    case 'k_proj': case 'v_proj': return { dIn: s.hidden, dOut: kv };
    case 'o_proj': return { dIn: q, dOut: s.hidden };
    case 'gate_proj': case 'up_proj': return { dIn: s.hidden, dOut: s.intermediate };
    case 'down_proj': return { dIn: s.intermediate, dOut: s.hidden };
  }
}

const ATTENTION: readonly ModuleType[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];
const moduleName = (l: number, t: ModuleType) => `model.layers.${l}.${ATTENTION.includes(t) ? 'self_attn' : 'mlp'}.${t}`;

/** Every projection of the model, forward order (attention then MLP, layer by layer); lm_head stays frozen. */
export function llamaLinears(s: LlamaShape, targets: LlamaTargets): LinearModule[] {
  for (const l of targets.layers) if (!Number.isInteger(l) || l < 0 || l >= s.layers) throw new Error(`targets: layer ${l} is outside 0..${s.layers - 1}`);
  const out: LinearModule[] = [];
  for (let l = 0; l < s.layers; l++)
    for (const t of MODULE_TYPES) {
      const trained = targets.types.includes(t) && targets.layers.includes(l);
      out.push({ name: moduleName(l, t), ...moduleShape(s, t), adaptable: true, mode: trained ? targets.mode : 'frozen' });
    }
  out.push({ name: 'lm_head', dIn: s.hidden, dOut: s.vocab, adaptable: false, mode: 'frozen' });
  return out;
}

/** Module index of cell (layer, type): the cells of the target grid are numbered as the modules are. */
export const cellOf = (layer: number, t: ModuleType) => layer * MODULE_TYPES.length + MODULE_TYPES.indexOf(t);

/** Every projection, forward order, trained where its cell (layer * 7 + type index) is listed. */
export function llamaLinearsFromCells(s: LlamaShape, cells: readonly number[], mode: Exclude<LayerMode, 'frozen'>): LinearModule[] {
  const n = s.layers * MODULE_TYPES.length;
  for (const c of cells) if (!Number.isInteger(c) || c < 0 || c >= n) throw new Error(`targets: cell ${c} is outside 0..${n - 1}`);
  const all = llamaLinears(s, { types: [], layers: [], mode });
  return all.map((m, i) => (i < n && cells.includes(i) ? { ...m, mode } : m));
}

/** The module types (in MODULE_TYPES order) and the layers (ascending) that some cell of the set uses. */
export function cellTypesAndLayers(cells: readonly number[]): { types: ModuleType[]; layers: number[] } {
  const T = MODULE_TYPES.length;
  return {
    types: MODULE_TYPES.filter((_, i) => cells.some((c) => c % T === i)),
    layers: [...new Set(cells.map((c) => Math.floor(c / T)))].sort((a, b) => a - b),
  };
}

/** The cells as PEFT names them: module types and layers when they form a full grid (types x layers), else null. */
export function cellsAsGrid(cells: readonly number[]): { types: ModuleType[]; layers: number[] } | null {
  const g = cellTypesAndLayers(cells);
  return g.types.length * g.layers.length === new Set(cells).size ? g : null;
}
