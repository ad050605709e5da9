/**
 * What a sweep costs before it starts: GPU memory (from the cost model), the largest single buffer, and
 * the time from a calibration of one run.
 *
 * The trainer (src/engine/trainer.ts) trains each group of compatible runs (the engine's groupKey:
 * same task, data, mode, optimizer, steps...; runs differ only in rank, alpha, scaling, init, lr, LoRA+)
 * together, at most RUNS_PER_BATCH at a time. Its buffers hold every run of the batch side by side:
 * the flat parameters (and gradients, optimizer moments) with ranks padded to the batch's largest, and
 * per layer the activations (R, batch, width), and, when the eval set is longer than the batch, the
 * eval pass's forward activations (R, eval chunk, width) (evalChunkRows). So the largest buffer grows
 * with the runs per batch; it must stay under the adapter's maxStorageBufferBindingSize and
 * maxBufferSize. f32 everywhere; an estimate of that layout, not a measurement.
 */
import { costOf, stateFloatsPerParam } from '../config/cost';
import { groupMemory } from '../config/memory';
import { formatBytes } from '../format';
import type { RunConfig } from '../config/schema';
import { groupKey } from '../engine/group';
import { largestAxis } from './grid';
import type { GridRun, SweepDef } from './types';

const F32 = 4;

/**
 * Runs trained together at most: engine/sweep.ts MAX_RUNS_PER_BATCH (not imported: that module pulls the
 * GPU trainer and its shaders into the page's bundle).
 */
export const RUNS_PER_BATCH = 64;

/** The batches the engine will train: runs of a group, in order, in chunks of RUNS_PER_BATCH. */
export function batches<T extends { config: RunConfig }>(runs: readonly T[]): T[][] {
  const open = new Map<string, T[]>();
  const out: T[][] = [];
  for (const r of runs) {
    const k = groupKey(r.config);
    let b = open.get(k);
    if (!b || b.length >= RUNS_PER_BATCH) {
      b = [];
      open.set(k, b);
      out.push(b);
    }
    b.push(r);
  }
  return out;
}

/** One run's buffers inside a batch whose largest rank is rmax (bytes). */
function perRun(c: RunConfig, rmax: number): { params: number; activations: number; largest: number } {
  const params = costOf({ ...c, r: rmax }).trainableParams * F32;
  const layerAct = c.batch * c.width * F32; // one (batch, width) activation
  // Per hidden layer: pre-activation, activation and their gradients; plus the LoRA path's (batch, r) pairs.
  const activations = (c.layers + 1) * 4 * layerAct + (c.mode === 'lora' ? c.targets.length * 2 * c.batch * rmax * F32 : 0);
  return { params: params * (2 + stateFloatsPerParam(c)), activations, largest: Math.max(params, layerAct) };
}

export interface SweepMemory {
  runs: number;
  batches: number;
  /** Every batch's buffers (src/config/memory.ts groupMemory), summed: batches train one after another. */
  totalBytes: number;
  /** The biggest batch's buffers, all of which are allocated at once (what the memory budget bounds). */
  largestGroupBytes: number;
  largestGroupRuns: number;
  /** The largest single buffer (the biggest batch's runs side by side). */
  largestBufferBytes: number;
  /** Runs of that batch, and its largest buffer per run (to say how many runs fit). */
  largestBatchRuns: number;
  perRunBufferBytes: number;
}

export function sweepMemory(runs: readonly GridRun[]): SweepMemory {
  let total = 0;
  const all = batches(runs);
  let largest = { n: 0, buf: 0, per: 0 };
  let group = { n: 0, bytes: 0 };
  for (const b of all) {
    const rmax = Math.max(...b.map((r) => r.config.r));
    let buf = 0;
    let per = 0;
    for (const { config } of b) {
      const m = perRun(config, rmax);
      buf += m.largest;
      per = Math.max(per, m.largest);
    }
    const bytes = groupMemory(b.map((r) => r.config)).totalBytes;
    total += bytes;
    if (bytes > group.bytes) group = { n: b.length, bytes };
    if (buf > largest.buf) largest = { n: b.length, buf, per };
  }
  return { runs: runs.length, batches: all.length, totalBytes: total, largestGroupBytes: group.bytes, largestGroupRuns: group.n, largestBufferBytes: largest.buf, largestBatchRuns: largest.n, perRunBufferBytes: largest.per };
}

export interface BufferLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  /** Bytes one batch's buffers may take in all (the page's memory budget); none: unbounded. */
  budget?: number;
}

/**
 * Why the sweep does not fit this adapter, naming the axis to shrink; null when it fits.
 * Limits unknown (no adapter yet) count as fitting: the engine reports a real failure anyway.
 */
export function limitsError(mem: SweepMemory, def: SweepDef, limits: BufferLimits | null): string | null {
  if (!limits) return null;
  const cap = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const which = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  if (mem.largestBufferBytes <= cap) {
    if (limits.budget === undefined || mem.largestGroupBytes <= limits.budget) return null;
    const big = largestAxis(def);
    const fit = Math.max(1, Math.floor((limits.budget / mem.largestGroupBytes) * mem.largestGroupRuns));
    return mem.largestGroupRuns > 1
      ? `The sweep trains ${mem.largestGroupRuns} runs together, which need ${formatBytes(mem.largestGroupBytes)} in all, over the memory budget of ${formatBytes(limits.budget)}. Shrink the ${big.name} axis (${big.count} values): about ${fit} runs fit in one batch.`
      : `One run needs ${formatBytes(mem.largestGroupBytes)} in all, over the memory budget of ${formatBytes(limits.budget)}: lower the batch size or width in the settings.`;
  }
  if (mem.perRunBufferBytes > cap) return `One run alone needs a ${formatBytes(mem.perRunBufferBytes)} buffer, over this GPU's ${which} of ${formatBytes(cap)}: lower the batch size or width in the settings.`;
  const fit = Math.max(1, Math.floor(cap / mem.perRunBufferBytes));
  const big = largestAxis(def);
  return (
    `The sweep trains ${mem.largestBatchRuns} runs together and needs a ${formatBytes(mem.largestBufferBytes)} buffer, over this GPU's ${which} of ${formatBytes(cap)}. ` +
    `Shrink the ${big.name} axis (${big.count} values): at most about ${fit} runs fit in one batch.`
  );
}

/**
 * Seconds for the whole sweep at `stepsPerSec` (one run's steps per second, calibrated), as a range:
 * `low` if a batch's step costs no more than one run's step (small models, where dispatch overhead
 * dominates), `high` if runs cost as much together as one after another (large, compute-bound ones).
 */
export function estimateSeconds(runs: readonly GridRun[], stepsPerSec: number): { low: number; high: number } {
  if (!(stepsPerSec > 0)) return { low: NaN, high: NaN };
  const high = runs.reduce((a, r) => a + r.config.steps, 0) / stepsPerSec;
  const low = batches(runs).reduce((a, b) => a + Math.max(...b.map((r) => r.config.steps)), 0) / stepsPerSec;
  return { low, high };
}

/** "45 s", "3.2 min", "1.5 h". */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  if (sec < 90) return `${Math.max(1, Math.round(sec))} s`;
  if (sec < 5400) return `${(sec / 60).toFixed(1)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}

/** The config to calibrate: the settings with the grid's largest rank (the slowest LoRA run). */
export function calibrationConfig(runs: readonly GridRun[], base: RunConfig): RunConfig {
  let best = base;
  for (const { config } of runs) if (config.mode === 'lora' && config.r > best.r) best = config;
  return { ...best, lr: base.lr };
}
