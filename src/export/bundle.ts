/**
 * A run's export bundle from plain data (no GPU, no DOM): the files, then one zip (fflate).
 *   LoRA run:  adapter/adapter_model.safetensors, adapter/adapter_config.json (a PEFT adapter folder),
 *   FFT run:   finetuned_model.safetensors (PEFT adapters are LoRA-only, so the trained weights instead),
 *   both:      base_model.safetensors, test_cases.json, load_with_peft.py, train_with_peft.py (trains the
 *              run again in PyTorch + PEFT) with toy_task.py (the task it rebuilds), train_common.py (what it
 *              shares with the language model's script) and run_config.json
 *              (the RunConfig it reads), README.md.
 * The engine's worker gathers the data (src/engine/exportBundle.ts: the trained tensors, the GPU forward's
 * test outputs); the page saves the zip.
 */
import { zipSync } from 'fflate';
import type { RunConfig } from '../config/schema';
import { configToQuery } from '../config/url';
import type { MetricPoint, RunStatus, TensorMap } from '../engine/protocol';
import type { MlpWeights } from '../tasks/toy';
import { formatLr } from '../store/runLabel';
import { writeSafetensors } from './safetensors';
import { adapterConfig, adapterMetadata, adapterTensors, baseModelTensors, mergedTensors, pythonJson } from './peftFormat';
import { testCasesJson, type CaseOutputs } from './testCases';
import { bundleReadme } from './bundleReadme';
import loadWithPeft from './load_with_peft.py?raw';
import { toyTrainingScripts } from './scriptFiles';

export interface BundleInput {
  config: RunConfig;
  label: string;
  status: RunStatus;
  points: readonly MetricPoint[];
  /** The run's trained tensors: 'A<i>', 'B<i>' (LoRA) or 'W<i>' (full fine-tuning). */
  tensors: TensorMap;
  /** The task's frozen base weights (buildTask(config)). */
  base: MlpWeights;
  cases: CaseOutputs;
  version: string;
  created: Date;
}

const text = (s: string) => new TextEncoder().encode(s);

/** File name stem for a run, e.g. `lora-lab_r4-alpha8-lr2pow-5-initA-seed1` (only [A-Za-z0-9._-]). */
export function bundleName(cfg: RunConfig): string {
  const lr = `lr${formatLr(cfg.lr).replace('^', 'pow')}`;
  const what = cfg.mode === 'fft' ? ['fft', lr] : [`r${cfg.r}`, `alpha${cfg.lora_alpha}`, lr, cfg.init, ...(cfg.scaling === 'rslora' ? ['rslora'] : [])];
  return `lora-lab_${[...what, `seed${cfg.seed}`].join('-')}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Every file of the bundle, by path inside the zip. */
export function bundleFiles(b: BundleInput): Record<string, Uint8Array> {
  const cfg = b.config;
  const query = configToQuery(cfg);
  const files: Record<string, Uint8Array> = {};
  if (cfg.mode === 'lora') {
    files['adapter/adapter_model.safetensors'] = writeSafetensors(adapterTensors(cfg, b.tensors), adapterMetadata(cfg, b.version, query));
    files['adapter/adapter_config.json'] = text(pythonJson(adapterConfig(cfg)));
  } else {
    files['finetuned_model.safetensors'] = writeSafetensors(mergedTensors(cfg, b.base, b.tensors), { format: 'pt', lora_lab_version: b.version, lora_lab_config: query });
  }
  files['base_model.safetensors'] = writeSafetensors(baseModelTensors(cfg, b.base), { format: 'pt' });
  files['test_cases.json'] = text(testCasesJson(cfg, b.cases));
  files['load_with_peft.py'] = text(loadWithPeft);
  Object.assign(files, toyTrainingScripts());
  files['run_config.json'] = text(JSON.stringify(cfg, null, 2) + '\n');
  files['README.md'] = text(bundleReadme({ config: cfg, label: b.label, status: b.status, points: b.points, version: b.version, query, created: b.created }));
  return files;
}

/** The merged network (W0 + s B A on adapted layers; the trained weights for FFT) as one file. */
export function mergedFile(cfg: RunConfig, base: MlpWeights, tensors: TensorMap, version: string): Uint8Array {
  return writeSafetensors(mergedTensors(cfg, base, tensors), { format: 'pt', lora_lab_version: version, lora_lab_config: configToQuery(cfg) });
}

/** Zip the files (deflate; a fixed time stamp so that the same run zips to the same bytes). */
export function zipFiles(files: Record<string, Uint8Array>, mtime: Date): Uint8Array {
  return zipSync(
    Object.fromEntries(Object.entries(files).map(([path, data]) => [path, [data, { mtime }]])),
    { level: 6 },
  );
}
