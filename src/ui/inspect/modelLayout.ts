/**
 * Geometry of "the model, drawn" (view 0), as TensorFlow Playground draws its network, but with weight
 * matrices for neurons: every linear module is a block of (in x out) drawn to one scale (width = its
 * input size, height = its output size, PyTorch's (out, in) layout), frozen and trained ones told apart,
 * and each LoRA-adapted module gets its factors beneath it, A (r x in) and B (out x r), drawn to the same
 * scale, so the bottleneck is as thin as r is small. Every block has its parameter count (the title shown
 * on hover). Pure: the page config in, rectangles and text out; ModelDiagram draws them.
 *
 * The toy MLP (src/tasks/toyModel.ts) flows left to right: x -> W_in -> W_1..W_L -> W_out -> y. The
 * language model (src/tasks/llamaModel.ts) is a grid: a row per layer of its 7 projections.
 */
import type { RunConfig } from '../../config/schema';
import { BASE_SHAPE } from '../../tasks/llamaBase';
import { llamaLinearsFromCells, MODULE_TYPES } from '../../tasks/llamaModel';
import { toyModel } from '../../tasks/toyModel';

export type BlockKind = 'frozen' | 'lora' | 'full' | 'factor';

export interface Block {
  id: string;
  /** The module the block belongs to (PEFT name), set on trained modules: clicking selects it. */
  module?: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** frozen base weight, frozen weight under a LoRA adapter, fully trained weight, or a LoRA factor. */
  kind: BlockKind;
  label: string;
  params: number;
  /** The hover text: name, shape, parameters, frozen or trained. */
  title: string;
}

export interface Caption {
  x: number;
  y: number;
  text: string;
  anchor: 'start' | 'middle' | 'end';
  small?: boolean;
}

export interface ModelLayout {
  width: number;
  height: number;
  blocks: Block[];
  /** Arrows of the forward pass (toy: between consecutive modules). */
  links: { x1: number; y1: number; x2: number; y2: number }[];
  /** Dashed joins from an adapted weight to its factors. */
  joins: { x1: number; y1: number; x2: number; y2: number }[];
  captions: Caption[];
  trainedParams: number;
  /** Parameters of the base's linear modules (frozen or not). */
  baseParams: number;
}

export type DiagramConfig = Pick<RunConfig, 'task' | 'width' | 'layers' | 'dIn' | 'dOut' | 'targets' | 'mode' | 'r' | 'trueRank' | 'lmTargets' | 'activation' | 'loss'>;

/** The smallest drawn side of a block, so a rank-1 factor still shows. */
export const MIN_SIDE = 2;
const PAD = 12;
const GAP = 30;
/** Room under a block (its label) and between a weight and its factors. */
const LABEL = 26;
const JOIN = 18;
const FACTOR_GAP = 6;

const int = (n: number) => n.toLocaleString('en-US');
const side = (n: number, scale: number) => Math.max(MIN_SIDE, n * scale);

/** A matrix block of (dOut, dIn) at (x, y) in the scale. */
function matrix(id: string, x: number, y: number, dIn: number, dOut: number, scale: number, rest: Omit<Block, 'id' | 'x' | 'y' | 'w' | 'h' | 'params'>): Block {
  return { id, x, y, w: side(dIn, scale), h: side(dOut, scale), params: dIn * dOut, ...rest };
}

/** A's and B's blocks of a LoRA-adapted (dOut, dIn) module, below-left at (x, y): A (r, dIn) then B (dOut, r) beside it. */
function factors(module: string, x: number, y: number, dIn: number, dOut: number, r: number, scale: number): Block[] {
  const a = matrix(`${module}/A`, x, y, dIn, r, scale, { module, kind: 'factor', label: 'A', title: '' });
  a.title = `${module}.lora_A: ${r} x ${dIn} (r x in) = ${int(a.params)} trained parameters`;
  const b = matrix(`${module}/B`, x + a.w + FACTOR_GAP, y, r, dOut, scale, { module, kind: 'factor', label: 'B', title: '' });
  b.title = `${module}.lora_B: ${dOut} x ${r} (out x r) = ${int(b.params)} trained parameters, zero at the start for most inits`;
  return [a, b];
}

/** The largest extent of a module with its factors: width and height below the weight's top. */
const factorWidth = (dIn: number, r: number, scale: number) => side(dIn, scale) + FACTOR_GAP + side(r, scale);

export function toyLayout(cfg: DiagramConfig, blockPx = 84): ModelLayout {
  const desc = toyModel(cfg);
  const n = cfg.width;
  const scale = blockPx / Math.max(n, cfg.dIn, cfg.dOut);
  const lora = cfg.mode === 'lora';
  const anyLora = lora && desc.modules.some((m) => m.mode === 'lora');
  const mid = PAD + 16 + blockPx / 2; // the forward pass runs along this line
  const blocks: Block[] = [];
  const links: ModelLayout['links'] = [];
  const joins: ModelLayout['joins'] = [];
  const captions: Caption[] = [{ x: PAD, y: mid + 4, text: `x (${cfg.dIn})`, anchor: 'start' }];
  let x = PAD + 66;
  let trained = 0;
  let base = 0;
  let prevRight = PAD + 40; // after the input's label
  const factorTop = mid + blockPx / 2 + LABEL + JOIN;
  desc.modules.forEach((m, i) => {
    const hidden = m.adaptable;
    const name = i === 0 ? 'W_in' : hidden ? `W_${i}` : 'W_out';
    const where = hidden ? `; the target network adds a hidden rank-${cfg.trueRank} change here` : '';
    const state = m.mode === 'frozen' ? 'frozen' : m.mode === 'lora' ? 'frozen, LoRA-adapted' : 'fully trained';
    const kind: BlockKind = m.mode === 'frozen' ? 'frozen' : m.mode === 'lora' ? 'lora' : 'full';
    const b = matrix(m.name, x, 0, m.dIn, m.dOut, scale, { module: m.mode === 'frozen' ? undefined : m.name, kind, label: name, title: '' });
    b.y = mid - b.h / 2;
    b.title = `${name} (${m.name}): ${m.dOut} x ${m.dIn} = ${int(b.params)} parameters, ${state}${where}`;
    blocks.push(b);
    base += b.params;
    if (m.mode === 'full') trained += b.params;
    captions.push({ x: x + b.w / 2, y: mid + blockPx / 2 + 16, text: name, anchor: 'middle' });
    links.push({ x1: prevRight + 2, y1: mid, x2: x - 3, y2: mid });
    let colW = b.w;
    if (m.mode === 'lora') {
      const fs = factors(m.name, x, factorTop, m.dIn, m.dOut, cfg.r, scale);
      blocks.push(...fs);
      trained += fs[0].params + fs[1].params;
      joins.push({ x1: x + b.w / 2, y1: mid + blockPx / 2 + 20, x2: x + b.w / 2, y2: factorTop - 2 }); // from under the label
      captions.push({ x: x + b.w / 2 + 4, y: factorTop - 6, text: `+ s·B·A, r = ${cfg.r}`, anchor: 'start', small: true });
      captions.push({ x, y: factorTop + Math.max(fs[0].h, fs[1].h) + 13, text: `A ${cfg.r}×${m.dIn}, B ${m.dOut}×${cfg.r}`, anchor: 'start', small: true });
      colW = Math.max(colW, factorWidth(m.dIn, cfg.r, scale), 96);
    }
    prevRight = x + b.w;
    x += Math.max(colW, 40) + GAP;
  });
  links.push({ x1: prevRight + 2, y1: mid, x2: x - GAP + 14, y2: mid });
  captions.push({ x: x - GAP + 18, y: mid + 4, text: `y (${cfg.dOut})`, anchor: 'start' });
  const bottom = anyLora ? factorTop + side(n, scale) + 20 : mid + blockPx / 2 + LABEL;
  return { width: x - GAP + 18 + 50, height: bottom + PAD, blocks, links, joins, captions, trainedParams: trained, baseParams: base };
}

const SHORT = MODULE_TYPES.map((t) => t.replace('_proj', ''));

export function lmLayout(cfg: DiagramConfig, blockPx = 64): ModelLayout {
  const mode = cfg.mode === 'lora' ? 'lora' : 'full';
  const mods = llamaLinearsFromCells(BASE_SHAPE, cfg.lmTargets, mode).slice(0, BASE_SHAPE.layers * MODULE_TYPES.length); // lm_head stays frozen, not drawn
  const maxDim = Math.max(...mods.flatMap((m) => [m.dIn, m.dOut]));
  const scale = blockPx / maxDim;
  const r = Math.min(cfg.r, maxDim);
  const colW = (i: number) => Math.max(side(mods[i].dIn, scale), mode === 'lora' ? factorWidth(mods[i].dIn, r, scale) : 0, 40);
  const colX: number[] = [];
  let x = PAD + 56;
  for (let t = 0; t < MODULE_TYPES.length; t++) {
    if (t === 4) x += 16; // a wider gap between attention and the MLP
    colX.push(x);
    x += colW(t) + 14;
  }
  const width = x + PAD;
  const blocks: Block[] = [];
  const joins: ModelLayout['joins'] = [];
  const captions: Caption[] = [
    { x: (colX[0] + colX[3] + colW(3)) / 2, y: PAD + 10, text: 'attention', anchor: 'middle' },
    { x: (colX[4] + colX[6] + colW(6)) / 2, y: PAD + 10, text: 'MLP', anchor: 'middle' },
  ];
  const anyLora = mods.some((m) => m.mode === 'lora');
  const rowH = blockPx + LABEL + (anyLora ? JOIN + blockPx + 8 : 0);
  let trained = 0;
  let base = 0;
  for (let l = 0; l < BASE_SHAPE.layers; l++) {
    const top = PAD + 22 + l * (rowH + 10);
    captions.push({ x: PAD, y: top + blockPx / 2 + 4, text: `layer ${l}`, anchor: 'start' });
    for (let t = 0; t < MODULE_TYPES.length; t++) {
      const cell = l * MODULE_TYPES.length + t;
      const m = mods[cell];
      const kind: BlockKind = m.mode === 'frozen' ? 'frozen' : m.mode === 'lora' ? 'lora' : 'full';
      const b = matrix(m.name, colX[t], top, m.dIn, m.dOut, scale, { module: m.mode === 'frozen' ? undefined : m.name, kind, label: SHORT[t], title: '' });
      b.y = top + (blockPx - b.h); // bottoms aligned: the factors hang below every row the same way
      b.title = `${m.name}: ${m.dOut} x ${m.dIn} = ${int(b.params)} parameters, ${m.mode === 'frozen' ? 'frozen' : m.mode === 'lora' ? `frozen, LoRA-adapted (cell ${cell})` : `fully trained (cell ${cell})`}`;
      blocks.push(b);
      base += b.params;
      if (m.mode === 'full') trained += b.params;
      captions.push({ x: colX[t] + b.w / 2, y: top + blockPx + 14, text: SHORT[t], anchor: 'middle', small: true });
      if (m.mode === 'lora') {
        const fTop = top + blockPx + LABEL - 4 + JOIN;
        const fs = factors(m.name, colX[t], fTop, m.dIn, m.dOut, r, scale);
        blocks.push(...fs);
        trained += fs[0].params + fs[1].params;
        joins.push({ x1: colX[t] + b.w / 2, y1: top + blockPx + 18, x2: colX[t] + b.w / 2, y2: fTop - 2 });
      }
    }
  }
  const height = PAD + 22 + BASE_SHAPE.layers * (rowH + 10) + PAD;
  return { width, height, blocks, links: [], joins, captions, trainedParams: trained, baseParams: base };
}

export const modelLayout = (cfg: DiagramConfig): ModelLayout => (cfg.task === 'lm' ? lmLayout(cfg) : toyLayout(cfg));

/** The trained modules in drawing order: the choices of the module selector. */
export const trainedModules = (l: ModelLayout): string[] => [...new Set(l.blocks.flatMap((b) => (b.module ? [b.module] : [])))];
