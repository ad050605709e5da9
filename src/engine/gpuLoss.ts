/** The loss dispatches for a model's output: MSE (times the task's lossScale) or cross-entropy. */
import type { BufferRef, Dispatch } from '../gpu/dispatch';
import { mseLoss } from '../gpu/kernels/mse';
import { crossEntropyLoss } from '../gpu/kernels/cross_entropy';
import type { TrainSetup } from './types';

export interface LossBuffers {
  rows: number;
  pred: BufferRef; // (rows, dOut)
  target: BufferRef; // MSE targets (rows, dOut)
  labels: BufferRef; // CE labels (rows) u32
  grad: BufferRef; // dL/dpred (rows, dOut), written
  out: BufferRef; // [loss, accuracy (CE only)], written
  gradScale: number; // 1 / accum
}

export function lossDispatches(device: GPUDevice, setup: TrainSetup, b: LossBuffers): Dispatch[] {
  const dOut = setup.spec.sizes[setup.spec.sizes.length - 1];
  if (setup.spec.loss === 'mse')
    return mseLoss(device, { n: b.rows * dOut, pred: b.pred, target: b.target, grad: b.grad, out: b.out, scale: setup.lossScale, gradScale: b.gradScale }).dispatches;
  return crossEntropyLoss(device, { rows: b.rows, classes: dOut, logits: b.pred, labels: b.labels, grad: b.grad, out: b.out, gradScale: b.gradScale }).dispatches;
}
