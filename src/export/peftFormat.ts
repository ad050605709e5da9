/**
 * The model and its adapter in Hugging Face's names (PEFT and PyTorch nn.Linear), from plain data.
 * Module names and shapes come from the model's description (src/tasks/toyModel.ts); engine tensor
 * names 'A<i>', 'B<i>', 'W<i>' belong to module i of it. Weights (out, in).
 * PEFT adapter keys: `base_model.model.<module>.lora_A.weight` (r, in), `...lora_B.weight` (out, r).
 * The model-independent parts (loraKey, loraConfig, mergeLora, pythonJson) also serve the language
 * model's export (lmPeftFormat.ts).
 */
import { scalingFactor, type RunConfig } from '../config/schema';
import type { TensorMap } from '../engine/protocol';
import type { MlpWeights } from '../tasks/toy';
import type { WriteTensor } from './safetensors';
import { toyModel, type ToyModelConfig } from '../tasks/toyModel';

export function loraKey(module: string, factor: 'A' | 'B'): string {
  return `base_model.model.${module}.lora_${factor}.weight`;
}

/** [dIn, n, ..., n, dOut]: the sizes of every module's input, then the output (from the description). */
export function mlpSizes(cfg: ToyModelConfig): number[] {
  const m = toyModel(cfg).modules;
  return [m[0].dIn, ...m.map((x) => x.dOut)];
}

/** The frozen base network as PyTorch weights: `<module>.weight` (out, in) for every module. */
export function baseModelTensors(cfg: RunConfig, base: MlpWeights): WriteTensor[] {
  const W = [base.Win, ...base.Ws, base.Wout];
  return toyModel(cfg).modules.map((m, i) => ({ name: `${m.name}.weight`, shape: [m.dOut, m.dIn], data: W[i] }));
}

/** The adapter's tensors in PEFT's key names, for every LoRA-adapted module of the run. */
export function adapterTensors(cfg: RunConfig, tensors: TensorMap): WriteTensor[] {
  return toyModel(cfg).modules.flatMap((m, i) => {
    if (m.mode !== 'lora') return [];
    const A = tensors[`A${i}`];
    const B = tensors[`B${i}`];
    if (!A || !B) throw new Error(`the run has no LoRA factors for ${m.name} (A${i}, B${i})`);
    return [
      { name: loraKey(m.name, 'A'), shape: [cfg.r, m.dIn], data: A },
      { name: loraKey(m.name, 'B'), shape: [m.dOut, cfg.r], data: B },
    ];
  });
}

/** PEFT's target_modules: the names of the modules the run trains. */
export function targetModules(cfg: RunConfig): string[] {
  return toyModel(cfg).modules.filter((m) => m.mode !== 'frozen').map((m) => m.name);
}

/**
 * W0 + s B A for W0 (out, in), A (r, in), B (out, r): what PEFT's merge_and_unload writes into an adapted
 * nn.Linear. Float64 sums, f32 result.
 */
export function mergeLora(W0: Float32Array, A: Float32Array, B: Float32Array, out: number, inp: number, r: number, s: number): Float32Array {
  const W = new Float32Array(out * inp);
  for (let o = 0; o < out; o++)
    for (let j = 0; j < inp; j++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += B[o * r + k] * A[k * inp + j];
      W[o * inp + j] = W0[o * inp + j] + s * acc;
    }
  return W;
}

/**
 * The fine-tuned network as plain weights: W0 + s B A for LoRA-adapted layers (what PEFT's
 * merge_and_unload computes), the trained W for full fine-tuning, W0 elsewhere.
 */
export function mergedTensors(cfg: RunConfig, base: MlpWeights, tensors: TensorMap): WriteTensor[] {
  const s = scalingFactor(cfg);
  const modules = toyModel(cfg).modules;
  return baseModelTensors(cfg, base).map((t, i) => {
    if (modules[i].mode === 'frozen') return t;
    if (cfg.mode === 'fft') return { ...t, data: tensors[`W${i}`] ?? t.data };
    const [out, inp] = t.shape;
    return { ...t, data: mergeLora(t.data, tensors[`A${i}`], tensors[`B${i}`], out, inp, cfg.r, s) };
  });
}

/** Metadata strings beside format "pt": what PEFT's config cannot hold. */
export function adapterMetadata(cfg: RunConfig, version: string, query: string): Record<string, string> {
  return {
    format: 'pt',
    lora_lab_version: version,
    lora_lab_init: cfg.init,
    lora_lab_seed: String(cfg.seed),
    // The run's full settings as a LoRA Lab link query: an import restores the task (seed, ...) from it.
    lora_lab_config: query,
  };
}

/** The fields of a LoRA adapter that differ between exports; loraConfig fills in the rest. */
export interface LoraConfigFields {
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  use_rslora: boolean;
  target_modules: string[];
  /** PEFT's task: "CAUSAL_LM" wraps the model in PeftModelForCausalLM; null for a plain nn.Module. */
  task_type: string | null;
  base_model_name_or_path: string | null;
  /** Layer indices the target_modules are narrowed to (null: every layer), found by layers_pattern. */
  layers_to_transform: number[] | null;
  layers_pattern: string | null;
}

/**
 * What PEFT's LoraConfig saves (the fields PEFT 0.21 reads; see the golden example): plain LoRA on
 * nn.Linear (out, in) weights, no biases, no DoRA, no per-layer ranks. PEFT's default init is
 * recorded; loading an adapter takes the weights from the file, so it changes nothing.
 */
export function loraConfig(f: LoraConfigFields): Record<string, unknown> {
  return {
    alpha_pattern: {},
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    lora_bias: false,
    modules_to_save: null,
    peft_type: 'LORA',
    rank_pattern: {},
    use_dora: false,
    ...f,
  };
}

/** What PEFT's LoraConfig saves for this run of the toy MLP. */
export function adapterConfig(cfg: RunConfig): Record<string, unknown> {
  return loraConfig({
    base_model_name_or_path: null,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: cfg.lora_alpha,
    lora_dropout: cfg.lora_dropout,
    r: cfg.r,
    target_modules: targetModules(cfg),
    task_type: null,
    use_rslora: cfg.scaling === 'rslora',
  });
}

/** Python's float repr for the values PEFT types as float (0 -> "0.0"), JS's shortest form otherwise. */
const FLOAT_KEYS = new Set(['lora_dropout']);

/**
 * JSON as Python's json.dumps(obj, indent=2, sort_keys=True) writes it: sorted keys, 2-space indent,
 * empty objects and lists as {} and [].
 */
export function pythonJson(value: unknown, indent = ''): string {
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + pythonJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return '{}';
    const rec = value as Record<string, unknown>;
    const item = (k: string) => {
      const v = rec[k];
      const text = FLOAT_KEYS.has(k) && typeof v === 'number' && Number.isInteger(v) ? v.toFixed(1) : pythonJson(v, inner);
      return `${inner}${JSON.stringify(k)}: ${text}`;
    };
    return `{\n${keys.map(item).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
