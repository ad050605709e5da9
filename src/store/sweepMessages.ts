/**
 * Engine -> sweeps. A batched sweep posts many small messages (metrics of every run), so they are
 * queued in the store's context and applied together every FLUSH_MS: one state update, one re-render,
 * one IndexedDB write per flush in which a run ended.
 */
import type { FromEngine, TensorMap } from '../engine/protocol';
import { isFinished, type SweepRunRecord } from '../sweep/types';
import { errorText, type GetLab, type LabContext, type SetLab, type SliceCreator } from './context';
import { saveRunWeights } from './persist';
import { withoutHeat } from './inspectHistory';
import { keepPoints } from './thinPoints';
import { patchSweep, persistSweep } from './sweepsSlice';
import { releaseSweepLock } from './sweepLocks';

export const FLUSH_MS = 150;

export interface SweepMessagesSlice {
  /** Apply the queued engine messages of sweep runs now (they are applied every FLUSH_MS). */
  flushSweepMessages(): void;
}

export const createSweepMessagesSlice: SliceCreator<SweepMessagesSlice> = (set, get, ctx) => ({
  flushSweepMessages: () => flushSweepMessages(set, get, ctx),
});

/** Apply every queued message in one state update. */
export function flushSweepMessages(set: SetLab, get: GetLab, ctx: LabContext): void {
  if (ctx.flushTimer !== null) clearTimeout(ctx.flushTimer);
  ctx.flushTimer = null;
  const msgs = ctx.sweepQueue;
  ctx.sweepQueue = [];
  if (msgs.length === 0) return;
  const ended = new Set<string>();
  /** The sweep whose launch ended in this flush (its lock goes after its last write). */
  let finished: string | null = null;
  let { sweeps, activeSweep: active, sweepProgress: progress } = get();
  // queued run messages carry the record's run id (receiveSweepMessage mapped the engine's)
  const ownerOf = new Map([...ctx.sweepOwner.values()].map((o) => [o.runId, o.sweepId]));
  const patchRun = (runId: string, f: (r: SweepRunRecord) => SweepRunRecord) => {
    const sid = ownerOf.get(runId);
    sweeps = sweeps.map((s) => (s.id !== sid ? s : { ...s, runs: s.runs.map((r) => (r.runId === runId ? f(r) : r)) }));
  };
  for (const m of msgs) {
    if (m.type === 'metrics') patchRun(m.runId, (r) => ({ ...r, points: keepPoints(ctx.pointBuckets, r.runId, r.points, m.points) }));
    else if (m.type === 'inspect') patchRun(m.runId, (r) => ({ ...r, inspect: withoutHeat(m.point) }));
    else if (m.type === 'status') {
      patchRun(m.runId, (r) => ({ ...r, status: m.status }));
      if (isFinished({ status: m.status }) || m.status.state === 'failed') {
        ctx.pointBuckets.delete(m.runId);
        ended.add(ownerOf.get(m.runId)!);
      }
    } else if (m.type === 'sweep-progress' && active?.launchId === m.sweepId) progress = { adapterStepsPerSec: m.adapterStepsPerSec, etaSec: m.etaSec };
    else if (m.type === 'sweep-done' && active?.launchId === m.sweepId) {
      const sid = active.sweepId;
      sweeps = sweeps.map((s) => (s.id !== sid ? s : { ...s, state: m.cancelled ? 'cancelled' : 'done' }));
      ended.add(sid);
      finished = sid;
      active = null;
      progress = null;
    }
  }
  set({ sweeps, activeSweep: active, sweepProgress: progress });
  for (const id of ended) {
    const written = persistSweep(get, id);
    // its lock goes once the sweep's last state is written: a tab waiting for it reads that state
    if (id === finished) releaseSweepLock(ctx, id, written);
  }
}

/** Store a finished run's tensors in IndexedDB (not in memory: a sweep of ~100 runs would hold them all), then mark the run exportable. */
function keepWeights(set: SetLab, get: GetLab, sweepId: string, runId: string, tensors: TensorMap): void {
  saveRunWeights(sweepId, runId, tensors)
    .then(() => {
      patchSweep(set, sweepId, (s) => ({ ...s, runs: s.runs.map((r) => (r.runId === runId ? { ...r, hasWeights: true } : r)) }));
      persistSweep(get, sweepId);
    })
    .catch((e) => get().notify(`Could not keep the trained weights of run ${runId} in this browser (it cannot be exported): ${errorText(e)}`));
}

/**
 * Returns true when the message belonged to sweeps (the caller stops there): sweep progress and
 * completion, and the per-run messages of sweep runs. A lost device also interrupts the running sweep,
 * but returns false: the page shows the error too.
 */
export function receiveSweepMessage(m: FromEngine, set: SetLab, get: GetLab, ctx: LabContext): boolean {
  let queued = m;
  switch (m.type) {
    case 'sweep-progress':
    case 'sweep-done':
      break;
    case 'metrics':
    case 'status':
    case 'inspect':
    case 'weights': {
      const own = ctx.sweepOwner.get(m.runId);
      if (!own) return false;
      // a launch no longer training (its device was lost, it was cancelled and resumed) has nothing more to say
      if (get().activeSweep?.launchId !== own.launchId) return true;
      if (m.type === 'weights') {
        keepWeights(set, get, own.sweepId, own.runId, m.tensors);
        return true;
      }
      queued = { ...m, runId: own.runId }; // the record's run id, which the flush patches
      break;
    }
    case 'error': {
      // A lost device ends the sweep without a 'sweep-done': keep what finished, offer to resume.
      const a = get().activeSweep;
      if (m.kind === 'device-lost' && a) {
        flushSweepMessages(set, get, ctx);
        patchSweep(set, a.sweepId, (s) => ({ ...s, state: 'interrupted' }));
        set({ activeSweep: null, sweepProgress: null });
        releaseSweepLock(ctx, a.sweepId, persistSweep(get, a.sweepId));
      }
      return false;
    }
    default:
      return false;
  }
  ctx.sweepQueue.push(queued);
  ctx.flushTimer ??= setTimeout(() => flushSweepMessages(set, get, ctx), FLUSH_MS);
  return true;
}
