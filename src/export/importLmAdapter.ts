/**
 * Import a PEFT LoRA adapter for the language model's base, strictly. The config must be one PEFT would
 * load (peftConfig.ts) for a causal LM; the modules it selects (target_modules, narrowed by
 * layers_to_transform as PEFT narrows them) must be projections of the base, every one of its module
 * types on every one of its layers (LoRA Lab's targets are types x layers); the file must hold exactly
 * `base_model.model.<module>.lora_A.weight` (r, dIn) and `...lora_B.weight` (dOut, r) for those modules,
 * floats (F32, F16, BF16, F64: converted to f32), finite. Pure: files in, the adapter out, or one
 * ImportError whose message names the file and the problem.
 */
import type { LlamaShape } from '../ref/llama';
import { llamaLinears, MODULE_TYPES, type LlamaTargets, type ModuleType } from '../tasks/llamaModel';
import { adapterFiles, ImportError, type NamedFile } from './adapterFiles';
import type { LmAdapters } from './lmPeftFormat';
import { layerIndex, parsePeftConfig, readAdapterModel, targetMatcher } from './peftConfig';

export { ImportError, type NamedFile };

export interface ImportedLmAdapter {
  targets: LlamaTargets;
  r: number;
  alpha: number;
  rslora: boolean;
  lora_dropout: number;
  /** By PEFT module name: A (r, dIn), B (dOut, r). */
  adapters: LmAdapters;
}

const KEY = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;
const typeOf = (module: string) => module.slice(module.lastIndexOf('.') + 1) as ModuleType;
const layerOf = (module: string) => Number(/^model\.layers\.(\d+)\./.exec(module)![1]);
const last = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The adapter folder's two files: adapter_config.json's text and adapter_model.safetensors's bytes. */
export function importLmAdapter(files: { config: string; model: Uint8Array }, shape: LlamaShape, folder = 'adapter'): ImportedLmAdapter {
  return importFrom({ name: `${folder}/adapter_config.json`, bytes: new TextEncoder().encode(files.config) }, { name: `${folder}/adapter_model.safetensors`, bytes: files.model }, shape);
}

/** Dropped or picked files: a zip holding an adapter folder, or the folder's two files (adapterFiles.ts). */
export function importLmAdapterFiles(files: readonly NamedFile[], shape: LlamaShape): ImportedLmAdapter {
  const { config, model } = adapterFiles(files);
  return importFrom(config, model, shape);
}

function importFrom(cfgFile: NamedFile, modelFile: NamedFile, shape: LlamaShape): ImportedLmAdapter {
  // PEFT's default target_modules for a llama model, when the config leaves them out
  const parsed = parsePeftConfig(cfgFile, { layers: true, defaultTargets: ['q_proj', 'v_proj'] });
  // PEFT expands "all-linear" to every linear module but the output layer: every projection
  const peft = parsed.target_modules === 'all-linear' ? { ...parsed, target_modules: [...MODULE_TYPES] } : parsed;
  const failCfg = (problem: string): never => {
    throw new ImportError(`${cfgFile.name}: ${problem}`);
  };
  if (peft.task_type !== null && peft.task_type !== 'CAUSAL_LM') failCfg(`task_type is ${JSON.stringify(peft.task_type)}; the language model takes adapters for "CAUSAL_LM"`);
  const L = shape.layers;
  const bad = peft.layers_to_transform?.find((l) => l < 0 || l >= L);
  if (bad !== undefined) failCfg(`layers_to_transform names layer ${bad}, but the base model has layers 0..${L - 1}`);

  // The modules PEFT would wrap in LoRA layers, in forward order.
  const all = llamaLinears(shape, { types: [], layers: [], mode: 'lora' });
  const matches = targetMatcher(peft.target_modules, cfgFile.name);
  // PEFT tries to adapt every module a regex matches: the containers, norms and the embedding are no
  // projections (PEFT refuses them, or adapts the embedding with factors the file cannot hold)
  if (typeof peft.target_modules === 'string') {
    const perLayer = ['', '.self_attn', '.mlp', '.mlp.act_fn', '.input_layernorm', '.post_attention_layernorm'];
    const others = ['model', 'model.embed_tokens', 'model.layers', 'model.norm', 'model.rotary_emb', ...Array.from({ length: shape.layers }, (_, l) => perLayer.map((p) => `model.layers.${l}${p}`)).flat()];
    const hit = others.find(matches);
    if (hit !== undefined) failCfg(`target_modules ${JSON.stringify(peft.target_modules)} also matches ${hit}, which is no projection LoRA Lab can adapt`);
  }
  if (Array.isArray(peft.target_modules)) {
    const unknown = peft.target_modules.find((t) => !all.some((m) => m.name === t || m.name.endsWith(`.${t}`)));
    if (unknown !== undefined) failCfg(`target_modules names ${JSON.stringify(unknown)}, which is no module of the base model (its projections are ${MODULE_TYPES.join(', ')})`);
  }
  const inLayers = (name: string) => {
    if (peft.layers_to_transform === null) return true;
    const l = layerIndex(name, peft.layers_pattern);
    return l !== null && peft.layers_to_transform.includes(l);
  };
  const selected = all.filter((m) => matches(m.name) && inLayers(m.name));
  const frozen = selected.find((m) => !m.adaptable);
  if (frozen) failCfg(`target_modules selects ${frozen.name}, which LoRA Lab keeps frozen (only the projections ${MODULE_TYPES.join(', ')} can be adapted)`);
  if (selected.length === 0) failCfg(`target_modules ${JSON.stringify(peft.target_modules)}${peft.layers_to_transform ? ` on layers ${peft.layers_to_transform.join(', ')}` : ''} selects no module of the base model`);
  const types = MODULE_TYPES.filter((t) => selected.some((m) => typeOf(m.name) === t));
  const layers = [...new Set(selected.map((m) => layerOf(m.name)))].sort((a, b) => a - b);
  if (selected.length !== types.length * layers.length) {
    failCfg(`selects ${selected.map((m) => m.name).join(', ')}: not every one of its module types (${types.join(', ')}) on every one of its layers (${layers.join(', ')}), which is what LoRA Lab can train`);
  }

  const st = readAdapterModel(modelFile);
  const fail = (problem: string): never => {
    throw new ImportError(`${modelFile.name}: ${problem}`);
  };
  const r = peft.r;
  const byName = new Map(selected.map((m) => [m.name, m]));
  const factors: Record<string, { A?: Float32Array; B?: Float32Array }> = {};
  for (const [key, t] of st.tensors) {
    const m = KEY.exec(key);
    if (!m) fail(`unexpected tensor ${key}: a LoRA adapter holds only base_model.model.<module>.lora_A.weight and .lora_B.weight`);
    const [, module, factor] = m!;
    const mod = byName.get(module);
    if (!mod) {
      const exists = all.some((x) => x.name === module);
      fail(`tensor ${key} adapts ${module}, ${exists ? `which ${last(cfgFile.name)} does not select (target_modules ${JSON.stringify(peft.target_modules)}${peft.layers_to_transform ? `, layers_to_transform ${JSON.stringify(peft.layers_to_transform)}` : ''})` : `but the base model has no module ${module}`}`);
    }
    if (!t.data) fail(`tensor ${key} has dtype ${t.dtype}; LoRA factors must be floats (F32, F16, BF16 or F64)`);
    const want = factor === 'A' ? [r, mod!.dIn] : [mod!.dOut, r];
    if (t.shape.length !== 2 || t.shape[0] !== want[0] || t.shape[1] !== want[1]) {
      fail(`tensor ${key} has shape [${t.shape}], but with r = ${r} (${last(cfgFile.name)}) lora_${factor} of ${module} (${mod!.dIn} -> ${mod!.dOut}) must be [${want}]`);
    }
    (factors[module] ??= {})[factor as 'A' | 'B'] = t.data!;
  }
  const adapters: LmAdapters = {};
  for (const m of selected) {
    const f = factors[m.name] ?? {};
    for (const k of ['A', 'B'] as const) if (!f[k]) fail(`tensor base_model.model.${m.name}.lora_${k}.weight is missing (${last(cfgFile.name)} selects ${m.name}, so it needs both factors)`);
    adapters[m.name] = { A: f.A!, B: f.B! };
  }
  return { targets: { types, layers, mode: 'lora' }, r, alpha: peft.lora_alpha, rslora: peft.use_rslora, lora_dropout: peft.lora_dropout, adapters };
}
