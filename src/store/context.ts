/**
 * What a store holds besides its reactive state, one object per store (made by createLabStore): the
 * engine connection, data that is not rendered (trained tensors), requests waiting for the engine's
 * reply, which sweep each sweep run belongs to, and the sweep messages waiting to be applied.
 * Slices get it as their third argument; nothing here is module-level, so each store is independent.
 */
import type { StoreApi } from 'zustand';
import type { FromEngine, TensorMap, ToEngine } from '../engine/protocol';
import type { LabState } from './store';

/** Engine replies to a request, matched by request id. */
export type Reply = Extract<FromEngine, { requestId: string }>;

interface Pending {
  settle(m: Reply): void;
  /** What the request is for, where a second identical request should wait for this one. */
  key?: string;
}

export interface SweepRunOwner {
  sweepId: string;
  /** The run's id in the sweep record. */
  runId: string;
  /** The launch that sent it (activeSweep.launchId while it trains). */
  launchId: string;
}

export interface LabContext {
  /** Posts to the engine worker; a no-op until the store's connect(send). */
  send: (m: ToEngine) => void;
  /** Trained tensors of the page's runs by run id (kept for exports and IndexedDB, never rendered). */
  runTensors: Map<string, TensorMap>;
  /** The imported adapter's LoRA factors (its description is state: `imported`). */
  importTensors: TensorMap | null;
  /** Requests sent to the engine (evaluate, export, calibrate) by request id, until their reply. */
  pending: Map<string, Pending>;
  /**
   * Engine run id -> the sweep run it trains, for the runs of launched sweeps: their messages belong to
   * the sweeps. Each launch sends its runs under ids of its own (the record's run id and the launch), so
   * a late message of an earlier launch of the same run (its device was lost, then the sweep resumed)
   * is told apart and dropped instead of mixing its points into the run trained again.
   */
  sweepOwner: Map<string, SweepRunOwner>;
  /** Releases of the sweep locks this tab holds, by sweep id (sweepLocks.ts). */
  sweepLocks: Map<string, () => void>;
  /** Sweep run messages waiting for the next flush (every FLUSH_MS), and that flush's timer. */
  sweepQueue: FromEngine[];
  flushTimer: ReturnType<typeof setTimeout> | null;
  /** Per run id: the steps per bucket its kept points are thinned to (thinPoints.ts; absent = 1). */
  pointBuckets: Map<string, number>;
  /** The last number used in a run, sweep, launch or request id. */
  seq: number;
  /**
   * Random letters of this store, in every run and sweep id: two tabs share IndexedDB, and their
   * clocks and counters alike can agree, so time and a count alone could give both tabs the same id
   * (and one tab's record would overwrite the other's).
   */
  tag: string;
}

export function createContext(): LabContext {
  const tag = [...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(36).padStart(2, '0')).join('');
  return { send: () => {}, runTensors: new Map(), importTensors: null, pending: new Map(), sweepOwner: new Map(), sweepLocks: new Map(), sweepQueue: [], flushTimer: null, pointBuckets: new Map(), seq: 0, tag };
}

export type SetLab = StoreApi<LabState>['setState'];
export type GetLab = () => LabState;
/** A slice: its state and actions, made from the store's set and get and the store's context. */
export type SliceCreator<T> = (set: SetLab, get: GetLab, ctx: LabContext) => T;

export const nextId = (ctx: LabContext, prefix: string) => `${prefix}-${Date.now().toString(36)}${ctx.tag}-${++ctx.seq}`;

/** Send the message made for a new request id; resolves with the engine's reply to it. */
export function request(ctx: LabContext, make: (requestId: string) => ToEngine, key?: string): Promise<Reply> {
  const requestId = `req-${++ctx.seq}`;
  return new Promise((resolve) => {
    ctx.pending.set(requestId, { settle: resolve, key });
    ctx.send(make(requestId));
  });
}

export const isPending = (ctx: LabContext, key: string) => [...ctx.pending.values()].some((p) => p.key === key);

/** Hand a reply to its request; a reply nobody waits for (another store's, a repeat) is dropped. */
export function settle(ctx: LabContext, m: Reply): void {
  const p = ctx.pending.get(m.requestId);
  if (!p) return;
  ctx.pending.delete(m.requestId);
  p.settle(m);
}

export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
