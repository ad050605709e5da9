/**
 * Learning-rate schedule as a pure function of the step (nanoGPT style), so changing the schedule
 * mid-run just changes what the next step reads.
 *
 * cosine: linear warmup from 0 over W = ceil(warmup * total) steps, then cosine from the peak down to
 * minLrRatio * peak at the last step, as transformers' get_cosine_with_min_lr_schedule_with_warmup
 * (num_cycles = 0.5):
 *   k <  W:  lr * k / max(1, W)
 *   k >= W:  p = (k - W) / max(1, total - W);  lr * (m + (1 - m) * 0.5 * (1 + cos(pi * p)))
 * constant: lr at every step (no warmup).
 * The lr used by optimizer step k (k = 0..total-1) is lrAt(k, total, cfg); with warmup, step 0 has lr 0.
 */
import type { RunConfig } from '../config/schema';

export type ScheduleConfig = Pick<RunConfig, 'lr' | 'schedule' | 'warmup' | 'minLrRatio'>;

/** Number of warmup steps for a run of `totalSteps` optimizer steps. */
export function warmupSteps(totalSteps: number, warmup: number): number {
  return Math.ceil(warmup * totalSteps);
}

export function lrAt(step: number, totalSteps: number, cfg: ScheduleConfig): number {
  if (cfg.schedule === 'constant') return cfg.lr;
  const w = warmupSteps(totalSteps, cfg.warmup);
  if (step < w) return cfg.lr * (step / Math.max(1, w));
  // Past the end (e.g. `steps` was lowered mid-run) the floor holds instead of the cosine rising again.
  const progress = Math.min(1, (step - w) / Math.max(1, totalSteps - w));
  const m = cfg.minLrRatio;
  const factor = 0.5 * (1 + Math.cos(Math.PI * progress));
  return cfg.lr * Math.max(0, factor * (1 - m) + m);
}
