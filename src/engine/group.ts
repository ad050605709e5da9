/**
 * Which sweep runs can train together: the same task and data, the same adapted layers, mode,
 * optimizer kind and settings, schedule shape, batch, steps. Per run they may differ in rank (padded),
 * lora_alpha / scaling rule (per-run scaling), init scheme, learning rate, LoRA+ ratio, weight decay and
 * clipping threshold (the per-run hyperparameter table).
 */
import type { RunConfig } from '../config/schema';
import type { ToyTask } from '../tasks/toy';
import { buildSetup } from './setup';
import type { TrainSetup } from './types';
import type { BatchedRunInit } from './state';

/** Fields a run may vary inside a batched group. */
export const PER_RUN_FIELDS = ['r', 'lora_alpha', 'scaling', 'init', 'lr', 'loraPlusRatio', 'weightDecay', 'clip'] as const;

export function groupKey(c: RunConfig): string {
  const shared: Record<string, unknown> = { ...c };
  for (const k of PER_RUN_FIELDS) delete shared[k];
  return JSON.stringify(shared);
}

/** Split runs (in order) into groups of at most maxRuns runs that can train together. */
export function groupRuns<T extends { config: RunConfig }>(runs: T[], maxRuns: number): T[][] {
  const byKey = new Map<string, T[][]>();
  const order: T[][] = [];
  for (const r of runs) {
    const k = groupKey(r.config);
    let chunks = byKey.get(k);
    if (!chunks) byKey.set(k, (chunks = []));
    let last = chunks[chunks.length - 1];
    if (!last || last.length >= maxRuns) {
      last = [];
      chunks.push(last);
      order.push(last);
    }
    last.push(r);
  }
  return order;
}

/** The shared setup (rank padded to the group's largest) and each run's initial factors and scaling. */
export function buildBatchedSetup(cfgs: RunConfig[], task: ToyTask): { shared: TrainSetup; runs: BatchedRunInit[] } {
  const rmax = Math.max(...cfgs.map((c) => c.r));
  const shared = buildSetup({ ...cfgs[0], r: rmax }, task);
  const runs = cfgs.map((c) => {
    const s = buildSetup(c, task);
    return { r: c.r, scaling: s.spec.scaling, loraA: s.loraA, loraB: s.loraB };
  });
  return { shared, runs };
}
