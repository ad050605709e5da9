/**
 * The language model's LoRA adapter in PEFT's names, from plain data. The model is transformers'
 * LlamaForCausalLM, so PEFT (task_type CAUSAL_LM) sees its modules as `model.layers.<l>.self_attn.q_proj`
 * etc. and saves the factors as `base_model.model.model.layers.<l>.self_attn.q_proj.lora_A.weight` (r, in)
 * and `...lora_B.weight` (out, r). A run's targets (module types x layers) become PEFT's target_modules
 * (the types' short names) narrowed by layers_to_transform when the run skips some layers.
 */
import { llamaLinears, MODULE_TYPES, type LlamaTargets } from '../tasks/llamaModel';
import { llamaTensorShapes, type LlamaShape, type LlamaWeights } from '../ref/llama';
import { loraConfig, loraKey, mergeLora } from './peftFormat';
import type { WriteTensor } from './safetensors';

/** The adapter of a run: LoRA factors by PEFT module name, A (r, dIn), B (dOut, r). */
export type LmAdapters = Record<string, { A: Float32Array; B: Float32Array }>;

export interface LmLora {
  shape: LlamaShape;
  targets: LlamaTargets;
  r: number;
  alpha: number;
  rslora: boolean;
  adapters: LmAdapters;
}

/** s = alpha / r, or alpha / sqrt(r) with rsLoRA (PEFT's use_rslora). */
export const lmScaling = (x: Pick<LmLora, 'r' | 'alpha' | 'rslora'>): number => (x.rslora ? x.alpha / Math.sqrt(x.r) : x.alpha / x.r);

/**
 * The (lora_alpha, use_rslora) written to adapter_config.json. rsLoRA as plain LoRA: lora_alpha' = alpha
 * sqrt(r) gives lora_alpha' / r = alpha / sqrt(r), the same scaling, for tools that do not read use_rslora.
 */
export function exportedAlpha(x: Pick<LmLora, 'r' | 'alpha' | 'rslora'>, asPlainLora: boolean): { lora_alpha: number; use_rslora: boolean } {
  if (x.rslora && asPlainLora) return { lora_alpha: x.alpha * Math.sqrt(x.r), use_rslora: false };
  return { lora_alpha: x.alpha, use_rslora: x.rslora };
}

/** The adapted modules of the run (forward order), with their shapes; checks the targets against the model. */
export function adaptedModules(shape: LlamaShape, targets: LlamaTargets): { name: string; dIn: number; dOut: number }[] {
  if (targets.mode !== 'lora') throw new Error(`export: PEFT adapters are LoRA only; the run's targets are trained in mode "${targets.mode}"`);
  const mods = llamaLinears(shape, targets).filter((m) => m.mode === 'lora');
  if (mods.length === 0) throw new Error('export: the run adapts no module (targets name no module type or no layer)');
  return mods;
}

/** The factors in PEFT's key names, with every module's shapes checked. */
export function lmAdapterTensors(x: LmLora): WriteTensor[] {
  const mods = adaptedModules(x.shape, x.targets);
  const names = new Set(mods.map((m) => m.name));
  const extra = Object.keys(x.adapters).find((n) => !names.has(n));
  if (extra !== undefined) throw new Error(`export: the run has LoRA factors for ${extra}, which its targets do not adapt`);
  return mods.flatMap((m) => {
    const f = x.adapters[m.name];
    if (!f) throw new Error(`export: the run has no LoRA factors for ${m.name}`);
    for (const [k, t, want] of [['A', f.A, x.r * m.dIn], ['B', f.B, m.dOut * x.r]] as const) {
      if (t.length !== want) throw new Error(`export: ${m.name} lora_${k} has ${t.length} values, expected ${k === 'A' ? `r x dIn = ${x.r} x ${m.dIn}` : `dOut x r = ${m.dOut} x ${x.r}`}`);
      const bad = t.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`export: ${m.name} lora_${k}[${bad}] is ${t[bad]}; the run's weights are not usable (did it diverge?)`);
    }
    return [
      { name: loraKey(m.name, 'A'), shape: [x.r, m.dIn], data: f.A },
      { name: loraKey(m.name, 'B'), shape: [m.dOut, x.r], data: f.B },
    ];
  });
}

/** Where adapter_config.json says the base is: the bundle's base/ folder, relative to the bundle's root. */
export const BASE_DIR = 'base';

/** adapter_config.json's content (PEFT 0.21's LoraConfig fields; loraConfig fills in the fixed ones). */
export function lmAdapterConfig(x: Pick<LmLora, 'shape' | 'targets' | 'r' | 'alpha' | 'rslora'>, asPlainLora: boolean, dropout: number): Record<string, unknown> {
  adaptedModules(x.shape, x.targets);
  const layers = [...new Set(x.targets.layers)].sort((a, b) => a - b);
  const every = layers.length === x.shape.layers;
  return loraConfig({
    ...exportedAlpha(x, asPlainLora),
    r: x.r,
    lora_dropout: dropout,
    target_modules: MODULE_TYPES.filter((t) => x.targets.types.includes(t)),
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: BASE_DIR,
    // PEFT finds a module's layer index after "layers." in its name (model.layers.<l>....).
    layers_to_transform: every ? null : layers,
    layers_pattern: every ? null : 'layers',
  });
}

/** The merged model: W0 + s B A on every adapted projection, the base's weights elsewhere, in HF names. */
export function lmMergedWeights(x: LmLora, base: LlamaWeights): LlamaWeights {
  const s = lmScaling(x);
  const out: LlamaWeights = {};
  for (const [name, dims] of llamaTensorShapes(x.shape)) {
    const W = base[name];
    const n = dims.reduce((a, d) => a * d, 1);
    if (!W || W.length !== n) throw new Error(`export: the base model's ${name} needs ${n} values (got ${W?.length ?? 'none'})`);
    out[name] = W;
  }
  for (const m of adaptedModules(x.shape, x.targets)) {
    const f = x.adapters[m.name];
    if (!f) throw new Error(`export: the run has no LoRA factors for ${m.name}`);
    out[`${m.name}.weight`] = mergeLora(base[`${m.name}.weight`], f.A, f.B, m.dOut, m.dIn, x.r, s);
  }
  return out;
}
