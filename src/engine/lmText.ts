/**
 * Text from a language-model run on the GPU: its trained tensors merged into the base (W + s B A, or a
 * fully trained W), then generate() over a window just long enough for the prompt and the new tokens
 * (the model reads at most its context; a shorter window is a cheaper pass per token). The base model's
 * text for the same prompt and seed is the same call with no tensors.
 */
import type { RunConfig } from '../config/schema';
import { scalingFactor } from '../config/schema';
import type { LlamaShape, LlamaWeights } from '../ref/llama';
import { mergeAdapters, type LlamaAdapters } from '../ref/llamaLora';
import { lmModules } from '../tasks/lmTask';
import { LlamaForward } from './llamaForward';
import { generate, type GenerateOptions } from './llamaGenerate';
import type { TensorMap } from './protocol';

/** The base weights with a run's trained tensors ('A<i>', 'B<i>' at rank cfg.r, 'W<i>') applied. */
export function mergedWeights(cfg: RunConfig, shape: LlamaShape, base: LlamaWeights, tensors: TensorMap | null): LlamaWeights {
  if (!tensors) return base;
  const modules = lmModules(cfg, shape);
  const adapters: LlamaAdapters = {};
  const out: LlamaWeights = { ...base };
  modules.forEach((m, i) => {
    if (m.mode === 'lora') {
      const A = tensors[`A${i}`];
      const B = tensors[`B${i}`];
      if (!A || !B) throw new Error(`the run has no LoRA factors for ${m.name}`);
      adapters[m.name] = { r: cfg.r, scaling: scalingFactor(cfg), A, B };
    } else if (m.mode === 'full') {
      const W = tensors[`W${i}`];
      if (!W) throw new Error(`the run has no trained weight for ${m.name}`);
      out[`${m.name}.weight`] = W;
    }
  });
  return Object.keys(adapters).length ? mergeAdapters(shape, out, adapters) : out;
}

export interface TextRequest extends GenerateOptions {
  prompt: number[];
  count: number;
}

/** `count` new tokens after the prompt from the given weights. */
export async function generateText(device: GPUDevice, shape: LlamaShape, weights: LlamaWeights, req: TextRequest): Promise<number[]> {
  if (req.prompt.length === 0) throw new Error('the prompt is empty');
  const window = Math.min(shape.context, req.prompt.length + req.count);
  const f = new LlamaForward(device, shape, weights, 1, window);
  try {
    return await generate(f, req.prompt, req.count, req);
  } finally {
    f.destroy();
  }
}
