/**
 * What the run loop drives, whatever the model: a group of runs stepped together (submit), their
 * trained tensors read back at the end, and the model-specific part of a step (its inputs) kept here.
 * The toy MLP's group is a Trainer over its teacher's inputs; the language model's is a LlamaTrainer
 * over seeded windows of the fine-tuning text. Both end every step with the same tail (stepTail.ts).
 */
import type { RunConfig } from '../config/schema';
import type { ToyTask } from '../tasks/toy';
import { lmRunInit, lmSetup, lmWindowsAt, type LmTask } from '../tasks/lmTask';
import { buildSetup, stepInputs } from './setup';
import { buildBatchedSetup } from './group';
import { Trainer } from './trainer';
import { LlamaTrainer } from './llamaTrainer';
import type { TensorMap } from './protocol';
import type { StepHyper, StepLog } from './types';

export type LoopTask = ToyTask | LmTask;

export const isLmTask = (t: LoopTask): t is LmTask => (t as LmTask).kind === 'lm';

export interface GroupTrainer {
  submit(t: number, hypers: StepHyper[], log: boolean): Promise<{ logs: Promise<StepLog[]> } | null>;
  readonly inFlightLimit: number;
  /** Every run's trained tensors ('A<i>', 'B<i>' cut to ranks[run], 'W<i>'). */
  readRuns(ranks: number[]): Promise<TensorMap[]>;
  destroy(): void;
}

/** The group's trainer; `initTensors` (one run only) replaces its initial factors (an imported adapter). */
export function buildGroupTrainer(device: GPUDevice, cfgs: RunConfig[], task: LoopTask, initTensors: TensorMap = {}): GroupTrainer {
  const first = cfgs[0];
  if (isLmTask(task)) {
    const setup = lmSetup(first, task);
    const tr = new LlamaTrainer(device, setup, cfgs.map((c) => lmRunInit(c, setup.modules, cfgs.length === 1 ? initTensors : {})));
    return wrap(tr, (t, hypers, log) => tr.submit({ t, hypers, windows: lmWindowsAt(first, task, t) }, log));
  }
  let tr: Trainer;
  if (cfgs.length === 1) tr = new Trainer(device, buildSetup(first, task, initTensors));
  else {
    const { shared, runs } = buildBatchedSetup(cfgs, task);
    tr = new Trainer(device, shared, runs);
  }
  return wrap(tr, (t, hypers, log) => tr.submit({ t, hypers, x: stepInputs(first, task, t) }, log));
}

/** A trainer as the loop sees it, with the model's own way of making a step's inputs. */
function wrap(tr: Trainer | LlamaTrainer, submit: GroupTrainer['submit']): GroupTrainer {
  return {
    submit,
    get inFlightLimit() {
      return tr.inFlightLimit;
    },
    readRuns: (ranks) => tr.readRuns(ranks),
    destroy: () => tr.destroy(),
  };
}
