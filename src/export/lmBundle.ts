/**
 * A language-model run's export from plain data (no GPU, no DOM): a folder that transformers and PEFT
 * load as they are, then one zip (fflate).
 *   base/config.json, base/generation_config.json, base/model.safetensors   the shipped base, byte for byte
 *   adapter/adapter_config.json, adapter/adapter_model.safetensors          the PEFT LoRA adapter
 *   merged/...                                   (optional) the adapter merged into the base, a plain model
 *   test_cases.json, load_adapter.py, README.md, metrics.csv (when given)
 *   train_with_peft.py, lm_task.py, toy_task.py, train_common.py, run_config.json, data/finetune.txt,
 *   data/pretrain_heldout.txt    (when the run's training is given) the run trained again in PyTorch + PEFT
 * scripts/interop/check_lm_bundle.py checks such a folder against real PEFT.
 */
import { llamaTensorShapes, type LlamaShape, type LlamaWeights } from '../ref/llama';
import { llamaShapeFromConfig } from '../tasks/llamaConfig';
import type { LlamaTargets } from '../tasks/llamaModel';
import { zipFiles } from './bundle';
import { lmBundleReadme } from './lmBundleReadme';
import { adaptedModules, lmAdapterConfig, lmAdapterTensors, lmMergedWeights, type LmAdapters } from './lmPeftFormat';
import { lmTestCasesJson, type LmCase, type LmGeneration } from './lmTestCases';
import { pythonJson } from './peftFormat';
import { readSafetensors, writeSafetensors } from './safetensors';
import loadAdapter from './load_adapter.py?raw';
// The language model's training script: its own source file (the toy's train_with_peft.py sits beside it
// in src/export), written into the bundle under the name every bundle's training script has.
import trainLm from './train_lm_with_peft.py?raw';
import lmTask from './lm_task.py?raw';
import toyTask from './toy_task.py?raw';
import trainCommon from './train_common.py?raw';
import type { RunConfig } from '../config/schema';

export interface LmBundleInput {
  label: string; // the run's label
  shape: LlamaShape;
  /** The shipped base folder's files, byte for byte. */
  base: { config: string; generationConfig: string; safetensors: Uint8Array };
  targets: LlamaTargets; // module types x layers
  r: number;
  alpha: number;
  rslora: boolean; // scaling alpha / sqrt(r) instead of alpha / r
  /** rsLoRA written as plain LoRA: lora_alpha' = alpha sqrt(r), use_rslora false (the same scaling). */
  asPlainLora: boolean;
  /** By PEFT module name ('model.layers.0.self_attn.q_proj'): A (r, dIn), B (dOut, r). */
  adapters: LmAdapters;
  /** The page's logits (tokens.length, vocab) with the adapter applied. */
  cases: LmCase[];
  /** The page's greedy continuation (new token ids) of the prompt. */
  generation: LmGeneration;
  /** The run's settings (lr, steps, seed, init, ...), for the README and the adapter's metadata. */
  settings: Record<string, unknown>;
  metricsCsv?: string;
  /** What train_with_peft.py trains the run again from: its config and texts (the worker always gives it). */
  training?: LmTraining;
}

export interface LmTraining {
  config: RunConfig;
  /** The fine-tuning text's bytes (a shipped corpus or the user's own). */
  fineTune: Uint8Array;
  /** The pretraining corpus's held-out part (textData.ts splitText), the second eval set's text. */
  pretrainHeldOut: Uint8Array;
}

/** The files that train the run again (paths inside the bundle): the script, its modules, config and texts. */
export function lmTrainingFiles(t: LmTraining): Record<string, Uint8Array> {
  if (t.config.task !== 'lm') throw new Error(`export: a language-model bundle needs a language-model run config (task is ${t.config.task})`);
  return {
    'train_with_peft.py': text(trainLm),
    'lm_task.py': text(lmTask),
    'toy_task.py': text(toyTask), // lm_task.py's seeded generator
    'train_common.py': text(trainCommon),
    'run_config.json': text(JSON.stringify(t.config, null, 2) + '\n'),
    'data/finetune.txt': t.fineTune,
    'data/pretrain_heldout.txt': t.pretrainHeldOut,
  };
}

const text = (s: string) => new TextEncoder().encode(s);
/** A fixed time stamp: the same run zips to the same bytes. */
const ZIP_TIME = new Date(2024, 0, 1);

/** The shipped base's config must describe the shape the run was trained with. */
function checkBase(x: LmBundleInput): void {
  const s = llamaShapeFromConfig(JSON.parse(x.base.config));
  const differ = (Object.keys(x.shape) as (keyof LlamaShape)[]).filter((k) => s[k] !== x.shape[k]);
  if (differ.length) throw new Error(`export: base/config.json differs from the run's model in ${differ.map((k) => `${k} (${s[k]} vs ${x.shape[k]})`).join(', ')}`);
}

function dropout(settings: Record<string, unknown>): number {
  const d = settings.lora_dropout;
  return typeof d === 'number' && d >= 0 && d < 1 ? d : 0;
}

/** What PEFT's config cannot hold, as safetensors string metadata beside format "pt". */
function adapterMetadata(x: LmBundleInput): Record<string, string> {
  return {
    format: 'pt',
    lora_lab_label: x.label,
    lora_lab_settings: JSON.stringify(x.settings),
    // The scaling as trained, also when the config writes rsLoRA as plain LoRA.
    lora_lab_trained: JSON.stringify({ r: x.r, lora_alpha: x.alpha, use_rslora: x.rslora }),
  };
}

/** The base's weights from its safetensors bytes (the merged model is written in the same dtype). */
function baseWeights(x: LmBundleInput): { weights: LlamaWeights; metadata: Record<string, string> | null } {
  const file = readSafetensors(x.base.safetensors, 'base/model.safetensors');
  const weights: LlamaWeights = {};
  for (const [name, t] of file.tensors) {
    if (t.dtype !== 'F32') throw new Error(`export: base/model.safetensors holds ${name} as ${t.dtype}; a merged model is written as F32 only`);
    weights[name] = t.data!;
  }
  return { weights, metadata: file.metadata };
}

/**
 * The adapter merged into the base as a plain HF model folder: the base's config files, and
 * model.safetensors with W + s B A on every adapted projection, HF key names, F32, in the order the
 * reference writer uses (by name), with the base's metadata.
 */
export function lmMergedFiles(x: LmBundleInput, base: LlamaWeights, metadata: Record<string, string> = { format: 'pt' }): Record<string, Uint8Array> {
  const merged = lmMergedWeights(x, base);
  const tensors = llamaTensorShapes(x.shape).map(([name, shape]) => ({ name, shape, data: merged[name] }));
  return {
    'config.json': text(x.base.config),
    'generation_config.json': text(x.base.generationConfig),
    'model.safetensors': writeSafetensors(tensors, metadata),
  };
}

/** Every file of the bundle, by path; `merged` adds the merged model under merged/. */
export function lmBundleFiles(x: LmBundleInput, opts: { merged?: boolean } = {}): Record<string, Uint8Array> {
  checkBase(x);
  const modules = adaptedModules(x.shape, x.targets).map((m) => m.name);
  const files: Record<string, Uint8Array> = {
    'base/config.json': text(x.base.config),
    'base/generation_config.json': text(x.base.generationConfig),
    'base/model.safetensors': x.base.safetensors,
    'adapter/adapter_config.json': text(pythonJson(lmAdapterConfig(x, x.asPlainLora, dropout(x.settings)))),
    'adapter/adapter_model.safetensors': writeSafetensors(lmAdapterTensors(x), adapterMetadata(x)),
    'test_cases.json': text(lmTestCasesJson(x.shape, x.cases, x.generation)),
    'load_adapter.py': text(loadAdapter),
  };
  if (opts.merged) {
    const { weights, metadata } = baseWeights(x);
    for (const [f, data] of Object.entries(lmMergedFiles(x, weights, metadata ?? undefined))) files[`merged/${f}`] = data;
  }
  if (x.metricsCsv !== undefined) files['metrics.csv'] = text(x.metricsCsv);
  if (x.training) Object.assign(files, lmTrainingFiles(x.training));
  const generated = new TextDecoder().decode(Uint8Array.from(x.generation.tokens));
  files['README.md'] = text(lmBundleReadme({
    ...x,
    modules,
    generation: { prompt: x.generation.prompt, text: generated },
    cases: x.cases.length,
    hasMetrics: x.metricsCsv !== undefined,
    hasMerged: !!opts.merged,
    training: x.training ? { lmData: x.training.config.lmData, mode: x.training.config.mode } : null,
  }));
  return files;
}

/** The bundle as one zip. */
export function buildLmBundle(x: LmBundleInput, opts: { merged?: boolean } = {}): Uint8Array {
  return zipFiles(lmBundleFiles(x, opts), ZIP_TIME);
}
