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

export async function evaluateTensors(device: GPUDevice, cfg: RunConfig, tensors: TensorMap): Promise<Evaluation> {
  const task = buildTask(cfg);
  const rows = cfg.evalSize;
  const { base, adapted } = await forwardOutputs(device, cfg, tensors, task.evalX, rows);
  const loss = (out: Float32Array) =>
    cfg.loss === 'mse' ? mseLoss(out, task.evalY, 1 / task.sigma2).loss : crossEntropyLoss(out, task.evalLabels, rows, cfg.dOut).loss;
  return { baseLoss: loss(base), adapterLoss: loss(adapted), rows };
}
