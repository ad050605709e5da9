/**
 * A run's task from its config: the toy MLP (built from the seed, synchronously) or the language model
 * (the shipped base and corpora fetched once from the page's origin, or the user's own text).
 */
import type { RunConfig } from '../config/schema';
import { buildTask } from '../tasks/toy';
import { loadLmTask } from '../tasks/lmTask';
import type { LoopTask } from './groupTrainer';

export async function loadTask(cfg: RunConfig, userText?: Uint8Array): Promise<LoopTask> {
  return cfg.task === 'lm' ? loadLmTask(cfg, userText) : buildTask(cfg);
}

/** Fields that must agree for runs to share a task (base model, data, eval set). */
const TASK_KEYS = ['task', 'width', 'layers', 'dIn', 'dOut', 'trueRank', 'shift', 'activation', 'trainSize', 'evalSize', 'seed', 'lmData', 'seqLen', 'batch'] as const;

export function taskKey(c: RunConfig): string {
  return JSON.stringify(TASK_KEYS.map((k) => c[k]));
}
