/**
 * Repetition timing. One repetition runs `iters` iterations back to back and waits for the GPU once, so
 * submit and readback overhead is swamped: iters is calibrated so that a repetition lasts at least
 * minRepMs. Times are per iteration.
 */
import { encodeDispatches, type Dispatch } from '../src/gpu/dispatch';
import type { BenchContext, Row } from './types';

export interface RepPlan {
  reps: number;
  minRepMs: number;
}

export interface RepStats {
  medianMs: number;
  minMs: number;
  reps: number;
  iters: number;
}

export function plan(ctx: BenchContext): RepPlan {
  return ctx.quick ? { reps: 3, minRepMs: 50 } : { reps: 5, minRepMs: 200 };
}

/** `run(iters)` must resolve only when all its GPU work is finished. Call it once (warm) before this. */
export async function timeReps(run: (iters: number) => Promise<void>, p: RepPlan): Promise<RepStats> {
  let t0 = performance.now();
  await run(1);
  const once = performance.now() - t0;
  const iters = Math.max(1, Math.ceil(p.minRepMs / Math.max(once, 0.01)));
  // A calibration run that already lasts a whole repetition counts as the first one: on a software
  // adapter the biggest shapes take seconds per iteration.
  const times: number[] = iters === 1 ? [once] : [];
  while (times.length < p.reps) {
    t0 = performance.now();
    await run(iters);
    times.push((performance.now() - t0) / iters);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], minMs: times[0], reps: p.reps, iters };
}

/** Encode `iters` copies of the dispatches into one pass, submit once, and wait for the GPU. */
export async function runGpu(device: GPUDevice, dispatches: Dispatch[], iters: number): Promise<void> {
  const enc = device.createCommandEncoder({ label: 'bench' });
  const pass = enc.beginComputePass({ label: 'bench' });
  for (let i = 0; i < iters; i++) encodeDispatches(pass, dispatches);
  pass.end();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
}

/** A table row from two timings; `work` is the amount done per iteration, in `unit` times 1 second. */
export function row(name: string, shape: string, unit: string, work: number, ours: RepStats | null, peer: RepStats | null, note?: string): Row {
  const rate = (ms: number | undefined) => (ms === undefined ? null : work / (ms / 1000));
  const o = rate(ours?.medianMs);
  const p = rate(peer?.medianMs);
  return {
    name,
    shape,
    ours: o,
    oursBest: rate(ours?.minMs),
    peer: p,
    peerBest: rate(peer?.minMs),
    ratio: o !== null && p !== null ? o / p : null,
    unit,
    ...(note ? { note } : {}),
  };
}
