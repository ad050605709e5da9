/**
 * The model as a table of named shapes (llm.c style): which tensors exist, where each trainable one lives
 * in the flat parameter buffer, and which optimizer group it belongs to. Pure data, no GPU.
 *
 * The model is an MLP: layer i maps sizes[i] -> sizes[i+1] (weight W_i (out, in), PyTorch nn.Linear
 * layout), activation after every layer but the last. Each layer is frozen, LoRA-adapted (A_i (r, in),
 * B_i (out, r), scaling s) or fully trained (W_i, b_i in the flat buffer).
 */
import type { Activation } from '../ref/activation';
import type { GroupHyper } from '../gpu/kernels/paramGroups';
import type { LayerMode } from '../gpu/layers/lora_linear';
import type { StepHyper } from './types';

export type { LayerMode };
export type LossKind = 'mse' | 'ce';

export interface MlpSpec {
  sizes: number[];
  bias: boolean;
  activation: Activation;
  modes: LayerMode[]; // one per layer (sizes.length - 1)
  r: number;
  scaling: number;
  loss: LossKind;
}

/** A trainable tensor's place in the flat buffers (params, grads, optimizer state), in f32 elements. */
export interface TensorSlot {
  name: string; // 'A0', 'B2', 'W1', 'b1'
  layer: number;
  shape: number[];
  offset: number; // multiple of ALIGN, so each tensor can be bound on its own
  size: number;
}

export interface GroupRange {
  name: 'A' | 'B' | 'full';
  start: number;
  end: number;
}

export interface ParamLayout {
  tensors: TensorSlot[];
  groups: GroupRange[];
  total: number; // flat buffer length in elements (including alignment padding)
  trainable: number; // real parameters (no padding)
}

/** Storage-binding offsets must be multiples of 256 bytes = 64 f32. */
export const ALIGN = 64;

const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export function layerCount(spec: MlpSpec): number {
  return spec.sizes.length - 1;
}

/**
 * Order: all A's (group A), all B's (group B), then full-training W's and b's (group full). This is the
 * golden cases' order too (A0, A1, A2, B0, B1, B2 / W0, W1, W2, b0, b1, b2), and it lets LoRA+ give B its
 * own learning rate with one contiguous range.
 */
export function paramLayout(spec: MlpSpec): ParamLayout {
  const modules = spec.modes.map((mode, i) => ({ dIn: spec.sizes[i], dOut: spec.sizes[i + 1], mode }));
  return moduleLayout(modules, spec.r, spec.bias);
}

/**
 * The same layout for any list of linear modules (a chain or not: the language model's projections in
 * forward order): tensor `A<i>` is module i's A (r, dIn), `B<i>` its B (dOut, r), `W<i>` / `b<i>` its
 * fully trained weight and bias.
 */
export function moduleLayout(modules: readonly { dIn: number; dOut: number; mode: LayerMode }[], r: number, bias: boolean): ParamLayout {
  const tensors: TensorSlot[] = [];
  const groups: GroupRange[] = [];
  let offset = 0;
  const add = (name: string, layer: number, shape: number[]) => {
    const size = shape[0] * shape[1];
    tensors.push({ name, layer, shape, offset, size });
    offset = alignUp(offset + size);
  };
  const group = (name: GroupRange['name'], fill: () => void) => {
    const start = offset;
    fill();
    if (offset > start) groups.push({ name, start, end: offset });
  };
  const isMode = (m: LayerMode) => [...modules.keys()].filter((i) => modules[i].mode === m);
  group('A', () => isMode('lora').forEach((i) => add(`A${i}`, i, [r, modules[i].dIn])));
  group('B', () => isMode('lora').forEach((i) => add(`B${i}`, i, [modules[i].dOut, r])));
  group('full', () => {
    isMode('full').forEach((i) => add(`W${i}`, i, [modules[i].dOut, modules[i].dIn]));
    if (bias) isMode('full').forEach((i) => add(`b${i}`, i, [modules[i].dOut, 1]));
  });
  return { tensors, groups, total: Math.max(offset, ALIGN), trainable: tensors.reduce((a, t) => a + t.size, 0) };
}

export function slot(layout: ParamLayout, name: string): TensorSlot | undefined {
  return layout.tensors.find((t) => t.name === name);
}

/** Does layer i need dL/dX (its input gradient)? Only when some earlier layer trains. */
export function needsInputGrad(spec: MlpSpec, i: number): boolean {
  return spec.modes.slice(0, i).some((m) => m !== 'frozen');
}

/**
 * Per-group optimizer hyperparameters of one run for a step: group A and full fine-tuning get the
 * learning rate, group B gets lr * loraPlusRatio (LoRA+); weight decay is the same everywhere.
 */
export function groupHypers(layout: ParamLayout, h: StepHyper): GroupHyper[] {
  return layout.groups.map((g) => ({ lr: g.name === 'B' ? h.lr * h.loraPlusRatio : h.lr, weightDecay: h.weightDecay }));
}
