/**
 * A model as data: its linear modules in forward order, each with its PEFT / Hugging Face module name,
 * its shape, whether it may be a LoRA target, and how this run trains it (frozen, LoRA-adapted or fully
 * trained). The trainer, the CPU reference, the export, the import and the cost panel all read this one
 * description, so module names and shapes are written once, by the task that defines the model
 * (src/tasks/toyModel.ts for the toy MLP). Pure data, no GPU.
 */
import type { Activation } from '../ref/activation';
import type { LayerMode, LossKind, MlpSpec } from './layout';

export interface LinearModule {
  /** PEFT / Hugging Face module name: `layers.1`, later `model.layers.0.self_attn.q_proj`. */
  name: string;
  dIn: number;
  dOut: number;
  /** May be a LoRA target (or fully trained); the others are always frozen. */
  adaptable: boolean;
  mode: LayerMode;
}

export interface ModelDesc {
  /** Forward order; the MLP applies `activation` after every module but the last. */
  modules: LinearModule[];
  bias: boolean;
  activation: Activation;
  loss: LossKind;
}

/** The engine's view of a chain of modules (the shapes the kernels are built from), at rank r and scaling s. */
export function chainSpec(desc: ModelDesc, r: number, scaling: number): MlpSpec {
  const m = desc.modules;
  m.forEach((x, i) => {
    if (i > 0 && x.dIn !== m[i - 1].dOut) throw new Error(`model: ${x.name} takes ${x.dIn} inputs, but ${m[i - 1].name} gives ${m[i - 1].dOut}`);
    if (!x.adaptable && x.mode !== 'frozen') throw new Error(`model: ${x.name} cannot be trained`);
  });
  return { sizes: [m[0].dIn, ...m.map((x) => x.dOut)], bias: desc.bias, activation: desc.activation, modes: m.map((x) => x.mode), r, scaling, loss: desc.loss };
}

/** Index of the module named `name`, or -1. */
export function moduleIndex(desc: ModelDesc, name: string): number {
  return desc.modules.findIndex((m) => m.name === name);
}

/** Parameter counts: every module's weights, and those of the trained ones (LoRA factors at rank r, or whole). */
export function paramCounts(desc: ModelDesc, r: number): { base: number; adapted: number; lora: number; full: number } {
  let base = 0;
  let adapted = 0;
  let lora = 0;
  let full = 0;
  for (const m of desc.modules) {
    const w = m.dIn * m.dOut;
    base += w;
    if (m.mode === 'frozen') continue;
    adapted += w;
    lora += r * (m.dIn + m.dOut);
    full += w;
  }
  return { base, adapted, lora, full };
}
