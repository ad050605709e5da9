/**
 * An imported adapter's eval loss on the task's held-out set (the same set and loss as a run's eval
 * loss), for the base model and with the adapter: the outputs from the GPU forward pass, the losses
 * from the CPU reference kernels, all in the worker (the page does no training math).
 */
import type { RunConfig } from '../config/schema';
import { buildTask } from '../tasks/toy';
import { mseLoss } from '../ref/mse';
import { crossEntropyLoss } from '../ref/cross_entropy';
import { forwardOutputs } from './forward';
import type { Evaluation, TensorMap } from './protocol';
import { readF32 } from '../gpu/buffers';
import type { LlamaWeights } from '../ref/llama';
import { loadLmTask } from '../tasks/lmTask';
import { LlamaForward } from './llamaForward';
import { mergedWeights } from './lmText';

export async function evaluateTensors(device: GPUDevice, cfg: RunConfig, tensors: TensorMap, userText?: Uint8Array): Promise<Evaluation> {
  if (cfg.task === 'lm') return evaluateLm(device, cfg, tensors, userText);
  const task = buildTask(cfg);
  const rows = cfg.evalSize;
  const { base, adapted } = await forwardOutputs(device, cfg, tensors, task.evalX, rows);
  const loss = (out: Float32Array) =>
    cfg.loss === 'mse' ? mseLoss(out, task.evalY, 1 / task.sigma2).loss : crossEntropyLoss(out, task.evalLabels, rows, cfg.dOut).loss;
  return { baseLoss: loss(base), adapterLoss: loss(adapted), rows };
}

/** Language model: the mean next-token loss on the fine-tuning text's held-out windows, and on the pretraining text's. */
async function evaluateLm(device: GPUDevice, cfg: RunConfig, tensors: TensorMap, userText?: Uint8Array): Promise<Evaluation> {
  const task = await loadLmTask(cfg, userText);
  const losses = async (weights: LlamaWeights) => {
    const out: number[] = [];
    for (const set of task.evalSets) {
      const f = new LlamaForward(device, task.shape, weights, set.length, task.seq);
      try {
        f.run(set.flatMap((w) => w.slice(0, task.seq)));
        const logits = await readF32(device, f.logits, set.length * task.seq * task.shape.vocab);
        out.push(crossEntropyLoss(logits, set.flatMap((w) => w.slice(1)), set.length * task.seq, task.shape.vocab).loss);
      } finally {
        f.destroy();
      }
    }
    return out;
  };
  const base = await losses(task.weights);
  const adapted = await losses(mergedWeights(cfg, task.shape, task.weights, tensors));
  return { baseLoss: base[0], adapterLoss: adapted[0], rows: task.evalSets[0].length * task.seq, baseLosses: base, adapterLosses: adapted };
}
