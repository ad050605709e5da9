/**
 * A finished language-model run's export, built in the worker: its trained tensors as PEFT adapters
 * (by module name), the GPU forward pass of the adapted model on test windows (the logits transformers
 * + PEFT must reproduce) and its greedy continuation of a prompt, then the bundle's files
 * (src/export/lmBundle.ts) zipped; or the merged model as a plain Hugging Face folder, zipped.
 */
import { scalingFactor, type RunConfig } from '../config/schema';
import { zipFiles } from '../export/bundle';
import { buildLmBundle, lmMergedFiles, type LmBundleInput } from '../export/lmBundle';
import { metricsCsv } from '../export/metricsCsv';
import { readF32 } from '../gpu/buffers';
import { loadBaseFiles } from '../tasks/llamaAssets';
import { cellsAsGrid } from '../tasks/llamaModel';
import { loadLmTask, loadLmTexts, lmModules } from '../tasks/lmTask';
import { splitText } from '../tasks/textData';
import { LlamaForward } from './llamaForward';
import { generateText, mergedWeights } from './lmText';
import type { Download, ExportKind, ExportSource } from './protocol';

/** The prompt whose greedy continuation the bundle records (and its check reproduces). */
export const EXPORT_PROMPT = 'ROMEO:\n';
export const EXPORT_NEW_TOKENS = 50;
/** Test windows: the first held-out windows of the fine-tuning text, this many tokens each. */
const CASE_WINDOWS = 2;
const CASE_TOKENS = 32;

const fileName = (cfg: RunConfig) => `lora-lab_lm_${cfg.mode === 'fft' ? 'fft' : `r${cfg.r}`}_seed${cfg.seed}`;

export async function lmExportDownload(device: GPUDevice, kind: ExportKind, source: ExportSource, opts: { plainLora?: boolean; userText?: Uint8Array }): Promise<Download> {
  const cfg = source.config;
  const task = await loadLmTask(cfg, opts.userText);
  const grid = cellsAsGrid(cfg.lmTargets);
  if (!grid) throw new Error('the target modules are not a types x layers grid, which one PEFT config cannot express');
  const modules = lmModules(cfg, task.shape);
  const merged = mergedWeights(cfg, task.shape, task.weights, source.tensors);
  const baseFiles = await loadBaseFiles();
  const adapters: LmBundleInput['adapters'] = {};
  if (cfg.mode === 'lora')
    modules.forEach((m, i) => {
      if (m.mode === 'lora') adapters[m.name] = { A: source.tensors[`A${i}`], B: source.tensors[`B${i}`] };
    });
  const input: LmBundleInput = {
    label: source.label,
    shape: task.shape,
    base: baseFiles,
    targets: { types: grid.types, layers: grid.layers, mode: 'lora' },
    r: cfg.r,
    alpha: cfg.lora_alpha,
    rslora: cfg.scaling === 'rslora',
    asPlainLora: !!opts.plainLora,
    adapters,
    cases: [],
    generation: { prompt: EXPORT_PROMPT, tokens: [] },
    settings: { lr: cfg.lr, steps: cfg.steps, seed: cfg.seed, init: cfg.init, batch: cfg.batch, seqLen: cfg.seqLen, lmData: cfg.lmData, scaling: scalingFactor(cfg), status: source.status.state },
    metricsCsv: metricsCsv(source.points),
  };
  // what the bundle's train_with_peft.py trains the run again from (the corpora are fetched once per worker)
  const texts = await loadLmTexts(cfg, opts.userText);
  input.training = { config: cfg, fineTune: texts.fineTune, pretrainHeldOut: splitText(texts.pretrain).heldOut };
  if (kind === 'merged') {
    const files = lmMergedFiles(input, task.weights);
    return { name: `${fileName(cfg)}_merged.zip`, bytes: zipFiles(Object.fromEntries(Object.entries(files).map(([k, v]) => [`merged/${k}`, v])), new Date(2024, 0, 1)), type: 'application/zip' };
  }
  if (cfg.mode !== 'lora') throw new Error('a fully fine-tuned language model exports as merged weights (PEFT adapters are LoRA only)');
  // the page's own logits of the adapted model on held-out windows, and its greedy continuation
  const windows = task.evalSets[0].slice(0, CASE_WINDOWS).map((w) => w.slice(0, CASE_TOKENS));
  const f = new LlamaForward(device, task.shape, merged, windows.length, CASE_TOKENS);
  try {
    f.run(windows.flat());
    const logits = await readF32(device, f.logits, windows.length * CASE_TOKENS * task.shape.vocab);
    const per = CASE_TOKENS * task.shape.vocab;
    input.cases = windows.map((tokens, b) => ({ tokens, logits: logits.slice(b * per, (b + 1) * per) }));
  } finally {
    f.destroy();
  }
  const prompt = [...new TextEncoder().encode(EXPORT_PROMPT)];
  input.generation.tokens = await generateText(device, task.shape, merged, { prompt, count: EXPORT_NEW_TOKENS, temperature: 0, seed: 0 });
  return { name: `${fileName(cfg)}.zip`, bytes: buildLmBundle(input), type: 'application/zip' };
}
