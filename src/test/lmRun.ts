/**
 * A language-model run for export tests, without a GPU: random LoRA factors on a base model, and the
 * test cases the page would record, computed by the CPU reference (src/ref/llama.ts) on the merged
 * weights W + s B A; the greedy continuation follows the page's window rule (src/engine/llamaGenerate.ts).
 */
import { llamaForward, llamaTensorShapes, type LlamaShape, type LlamaWeights } from '../ref/llama';
import { Rng } from '../rng';
import { nextToken } from '../tasks/sampling';
import type { LlamaTargets } from '../tasks/llamaModel';
import type { LmBundleInput } from '../export/lmBundle';
import { adaptedModules, lmMergedWeights, type LmAdapters } from '../export/lmPeftFormat';
import { writeSafetensors } from '../export/safetensors';

/** A small model with a byte vocabulary (so that text prompts are token ids) and 2 key/value heads of 4. */
export const SMALL: LlamaShape = { vocab: 256, hidden: 16, intermediate: 24, layers: 2, heads: 4, kvHeads: 2, headDim: 4, eps: 1e-5, ropeTheta: 10000, context: 24 };

/** `count` greedy tokens after `prompt`: each pass sees the last `window` tokens, as the page's does. */
export function greedyCpu(shape: LlamaShape, w: LlamaWeights, prompt: readonly number[], count: number, window = shape.context): number[] {
  const text = [...prompt];
  const rng = new Rng(0); // unused at temperature 0
  const V = shape.vocab;
  for (let i = 0; i < count; i++) {
    const win = text.slice(-window);
    const logits = llamaForward(shape, w, win);
    text.push(nextToken(logits.subarray((win.length - 1) * V), 0, rng));
  }
  return text.slice(prompt.length);
}

/** LoRA factors ~ N(0, std^2) for every adapted module (both nonzero, unlike a fresh PEFT init). */
export function randomAdapters(shape: LlamaShape, targets: LlamaTargets, r: number, seed: number, std = 0.2): LmAdapters {
  const rng = new Rng(seed);
  return Object.fromEntries(adaptedModules(shape, targets).map((m) => [m.name, { A: rng.normals(r * m.dIn, std), B: rng.normals(m.dOut * r, std) }]));
}

/** A small model's config.json as transformers writes it (the fields llamaShapeFromConfig reads). */
export function llamaConfigJson(s: LlamaShape): string {
  return JSON.stringify({
    architectures: ['LlamaForCausalLM'], model_type: 'llama', attention_bias: false, mlp_bias: false, tie_word_embeddings: false, hidden_act: 'silu',
    vocab_size: s.vocab, hidden_size: s.hidden, intermediate_size: s.intermediate, num_hidden_layers: s.layers, num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads, head_dim: s.headDim, rms_norm_eps: s.eps, max_position_embeddings: s.context,
    rope_parameters: { rope_type: 'default', rope_theta: s.ropeTheta }, dtype: 'float32',
  }, null, 2);
}

/** Random base weights of a shape (norm weights near 1), for tests that need no trained model. */
export function randomBase(s: LlamaShape, seed: number): LlamaWeights {
  const rng = new Rng(seed);
  return Object.fromEntries(llamaTensorShapes(s).map(([name, dims]) => {
    const n = dims.reduce((a, d) => a * d, 1);
    return [name, dims.length === 1 ? rng.normals(n, 0.1).map((x) => 1 + x) : rng.normals(n, 0.3)];
  }));
}

export interface LmRunOptions {
  shape: LlamaShape;
  weights: LlamaWeights;
  /** The base folder's files; made from `weights` when absent. */
  base?: LmBundleInput['base'];
  targets: LlamaTargets;
  r: number;
  alpha: number;
  rslora?: boolean;
  asPlainLora?: boolean;
  seed?: number;
  std?: number;
  cases: number[][];
  prompt: string;
  count: number;
}

export function lmRun(o: LmRunOptions): LmBundleInput {
  const rslora = o.rslora ?? false;
  const adapters = randomAdapters(o.shape, o.targets, o.r, o.seed ?? 1, o.std);
  const merged = lmMergedWeights({ shape: o.shape, targets: o.targets, r: o.r, alpha: o.alpha, rslora, adapters }, o.weights);
  const prompt = [...new TextEncoder().encode(o.prompt)];
  return {
    label: 'test run',
    shape: o.shape,
    base: o.base ?? {
      config: llamaConfigJson(o.shape),
      generationConfig: '{\n  "_from_model_config": true\n}\n',
      safetensors: writeSafetensors(llamaTensorShapes(o.shape).map(([name, shape]) => ({ name, shape, data: o.weights[name] })), { format: 'pt' }),
    },
    targets: o.targets,
    r: o.r,
    alpha: o.alpha,
    rslora,
    asPlainLora: o.asPlainLora ?? false,
    adapters,
    cases: o.cases.map((tokens) => ({ tokens, logits: llamaForward(o.shape, merged, tokens) })),
    generation: { prompt: o.prompt, tokens: greedyCpu(o.shape, merged, prompt, o.count) },
    settings: { lr: 0.001, steps: 200, seed: o.seed ?? 1, init: 'gaussian', lora_dropout: 0 },
  };
}
