/**
 * The language-model task: the shipped base (src/tasks/llamaAssets.ts), the fine-tuning text (a shipped
 * corpus or the user's own, checked by src/tasks/textData.ts) and two held-out sets: the fine-tuning
 * text's last 5% (what a run learned) and the pretraining corpus's (what it forgot). Training windows
 * are drawn per step from Rng.stream(seed, 'lm/batch/<micro-batch>'), so a seed fixes the data, and
 * runs of a sweep see the same windows. Plain data, no GPU.
 */
import { scalingFactor, type RunConfig } from '../config/schema';
import type { LinearModule } from '../engine/model';
import type { LmRunInit } from '../engine/llamaState';
import type { LmTrainSetup } from '../engine/llamaTrainer';
import type { TensorMap } from '../engine/protocol';
import type { LlamaShape, LlamaWeights } from '../ref/llama';
import { Rng } from '../rng';
import { initLora } from './init';
import { CORPORA, loadBaseModel, loadCorpus } from './llamaAssets';
import { llamaLinearsFromCells } from './llamaModel';
import { checkText, evalWindows, sampleWindows, splitText } from './textData';

export interface LmTask {
  kind: 'lm';
  shape: LlamaShape;
  weights: LlamaWeights;
  /** The fine-tuning text's training part. */
  train: Uint8Array;
  /** Held-out windows of seqLen + 1 bytes: [the fine-tuning text's, the pretraining corpus's]. */
  evalSets: number[][][];
  seq: number;
}

/** Held-out windows per eval set: a whole number of batches, about 8 windows. */
export function lmEvalWindows(batch: number): number {
  return batch * Math.max(1, Math.round(8 / batch));
}

/** The pretraining corpus of the shipped base (its README, training.json). */
export const PRETRAIN_CORPUS = CORPORA.kjv;

/** Windows of seq + 1 bytes from (inputs, targets) rows as textData returns them. */
function asWindows(w: { inputs: Uint32Array; targets: Uint32Array }, seq: number): number[][] {
  const n = w.inputs.length / seq;
  return Array.from({ length: n }, (_, b) => [...w.inputs.subarray(b * seq, (b + 1) * seq), w.targets[(b + 1) * seq - 1]]);
}

/** Build the task from loaded bytes (tests and the worker's loader share it). */
export function lmTaskFrom(cfg: RunConfig, base: { shape: LlamaShape; weights: LlamaWeights }, fineTune: Uint8Array, pretrain: Uint8Array): LmTask {
  const seq = cfg.seqLen;
  if (seq > base.shape.context) throw new Error(`window of ${seq} bytes: the model reads at most ${base.shape.context}`);
  const text = checkText(fineTune, seq, cfg.lmData === 'user' ? 'your text' : `the ${cfg.lmData} corpus`);
  const ft = splitText(text);
  const pre = splitText(pretrain);
  const n = lmEvalWindows(cfg.batch);
  return {
    kind: 'lm',
    shape: base.shape,
    weights: base.weights,
    train: ft.train,
    evalSets: [asWindows(evalWindows(ft.heldOut, seq, n), seq), asWindows(evalWindows(pre.heldOut, seq, n), seq)],
    seq,
  };
}

/** The run's texts from the page's origin: the fine-tuning text (`userText` when lmData is 'user') and the pretraining corpus. */
export async function loadLmTexts(cfg: RunConfig, userText?: Uint8Array): Promise<{ fineTune: Uint8Array; pretrain: Uint8Array }> {
  const pretrain = await loadCorpus(PRETRAIN_CORPUS);
  if (cfg.lmData !== 'user') return { fineTune: cfg.lmData === 'kjv' ? pretrain : await loadCorpus(CORPORA.shakespeare), pretrain };
  if (!userText) throw new Error('no text of your own was given: paste or drop a .txt file first');
  return { fineTune: userText, pretrain };
}

/** Load the base and the corpora from the page's origin; `userText` is the user's bytes when lmData is 'user'. */
export async function loadLmTask(cfg: RunConfig, userText?: Uint8Array): Promise<LmTask> {
  const [base, { fineTune, pretrain }] = await Promise.all([loadBaseModel(), loadLmTexts(cfg, userText)]);
  return lmTaskFrom(cfg, base, fineTune, pretrain);
}

/** The projections of a run's model, trained where lmTargets says (LoRA, or in full for FFT). */
export function lmModules(cfg: RunConfig, shape: LlamaShape): LinearModule[] {
  return llamaLinearsFromCells(shape, cfg.lmTargets, cfg.mode === 'fft' ? 'full' : 'lora');
}

/** What the trainer is built from (everything the runs of a group share). */
export function lmSetup(cfg: RunConfig, task: LmTask): LmTrainSetup {
  return {
    shape: task.shape,
    weights: task.weights,
    modules: lmModules(cfg, task.shape),
    batch: cfg.batch,
    seq: task.seq,
    accum: cfg.accum,
    optim: { kind: cfg.optimizer, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, momentum: cfg.momentum },
    // a byte-level model starts near ln(256) = 5.5 nats; far above is divergence
    divergeBound: 100,
    evalSets: task.evalSets,
  };
}

/**
 * A run's initial factors: drawn as the toy's are (src/tasks/init.ts, stream 'lora/<module index>'), or
 * `tensors` ('A<i>', 'B<i>': an imported adapter to train further).
 */
export function lmRunInit(cfg: RunConfig, modules: LinearModule[], tensors: TensorMap = {}): LmRunInit {
  const init: LmRunInit = { r: cfg.r, scaling: scalingFactor(cfg), A: [], B: [] };
  modules.forEach((m, i) => {
    if (m.mode !== 'lora') return void (init.A.push(null), init.B.push(null));
    const f = initLora(cfg.init, cfg.r, m.dIn, m.dOut, Rng.stream(cfg.seed, `lora/${i}`));
    for (const [k, t] of [['A', tensors[`A${i}`]], ['B', tensors[`B${i}`]]] as const)
      if (t && t.length !== (k === 'A' ? f.A : f.B).length) throw new Error(`tensor ${k}${i} (${m.name}) has ${t.length} values, the model needs ${(k === 'A' ? f.A : f.B).length}`);
    init.A.push(tensors[`A${i}`] ?? f.A);
    init.B.push(tensors[`B${i}`] ?? f.B);
  });
  return init;
}

/** Optimizer step t's micro-batches of training windows (1-based t). */
export function lmWindowsAt(cfg: RunConfig, task: LmTask, t: number): number[][][] {
  return Array.from({ length: cfg.accum }, (_, k) => asWindows(sampleWindows(task.train, task.seq, cfg.batch, Rng.stream(cfg.seed, `lm/batch/${(t - 1) * cfg.accum + k}`)), task.seq));
}
