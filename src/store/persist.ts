/**
 * Sweeps kept in the browser's IndexedDB, so finished runs survive a reload (and an interrupted sweep can
 * resume the rest). Two object stores: 'sweeps', records keyed by sweep id, written whole (a sweep of ~100
 * runs with their logged points is a few hundred KB); 'weights', each finished run's trained tensors keyed
 * by [sweep id, run id], so any run of a sweep can be exported, after a reload too, without holding every
 * run's tensors in memory; and 'runs', the training page's finished runs (record and tensors) keyed by
 * run id (store/keepRuns.ts). No library: the few calls needed are wrapped in promises.
 * Where IndexedDB is missing (Node tests, some private modes) every call is a no-op; the page says so
 * once (hasIndexedDb).
 */
import type { SweepRecord } from '../sweep/types';
import { forgottenIds, markForgotten, unmarkForgotten, type KeptKind } from './forgotten';

const DB_NAME = 'lora-lab-sweeps';
const STORE = 'sweeps';
const WEIGHTS = 'weights';
const RUNS = 'runs';
const VERSION = 3; // 2 added WEIGHTS, 3 added RUNS

// The page's one connection to the database, opened on first use. Module-level on purpose: the
// database belongs to the origin, not to a store, so every store of the page shares it.
let opening: Promise<IDBDatabase | null> | null = null;

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

/** Whether this browser gives the page IndexedDB at all. */
export const hasIndexedDb = () => typeof indexedDB !== 'undefined' && indexedDB !== null;

function openDb(): Promise<IDBDatabase | null> {
  if (!hasIndexedDb()) return Promise.resolve(null);
  opening ??= new Promise<IDBDatabase | null>((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, VERSION);
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE, { keyPath: 'id' });
      if (!r.result.objectStoreNames.contains(WEIGHTS)) r.result.createObjectStore(WEIGHTS);
      if (!r.result.objectStoreNames.contains(RUNS)) r.result.createObjectStore(RUNS);
    };
    r.onsuccess = () => {
      // A newer page in another tab wants to upgrade the database: let it (this tab opens it again next time).
      r.result.onversionchange = () => {
        r.result.close();
        opening = null;
      };
      resolve(r.result);
    };
    r.onerror = () => reject(r.error ?? new Error('cannot open IndexedDB'));
    r.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  }).catch((e) => {
    opening = null; // try again next time
    throw e;
  });
  return opening;
}

async function withStore<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>, store = STORE): Promise<T | undefined> {
  const db = await openDb();
  if (!db) return undefined;
  const tx = db.transaction(store, mode);
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
  const [result] = await Promise.all([req(f(tx.objectStore(store))), done]);
  return result;
}

/** Write (or overwrite) a sweep. */
export async function saveSweep(rec: SweepRecord): Promise<void> {
  await withStore('readwrite', (s) => s.put(rec));
}

/**
 * Records the user removed whose delete may not have committed (forgotten.ts) are left out, and their
 * delete is started again (a failure then stays quiet: the next read tries again).
 */
function withoutForgotten<T>(kind: KeptKind, all: T[], remove: (id: string) => Promise<void>): T[] {
  const gone = forgottenIds(kind);
  for (const id of gone) remove(id).catch(() => {});
  // records read back may be damaged (keptChecks.ts judges them later): an id is looked for, not assumed
  return gone.size ? all.filter((x) => !gone.has((x as { id?: unknown } | null)?.id as string)) : all;
}

/** Every kept sweep, oldest first. */
export async function loadSweeps(): Promise<SweepRecord[]> {
  const all = (await withStore('readonly', (s) => s.getAll() as IDBRequest<SweepRecord[]>)) ?? [];
  return withoutForgotten('sweep', all, deleteSweep).sort((a, b) => a.createdAt - b.createdAt);
}

/** Delete a sweep and its runs' weights; a reload before the delete commits does not bring it back. */
export async function deleteSweep(id: string): Promise<void> {
  markForgotten('sweep', id);
  await withStore('readwrite', (s) => s.delete(id));
  await withStore('readwrite', (s) => s.delete(IDBKeyRange.bound([id], [id, []])), WEIGHTS);
  unmarkForgotten('sweep', id);
}

export type Tensors = Record<string, Float32Array>;

/** Keep a finished sweep run's trained tensors (a resumed run overwrites them). */
export async function saveRunWeights(sweepId: string, runId: string, tensors: Tensors): Promise<void> {
  await withStore('readwrite', (s) => s.put(tensors, [sweepId, runId]), WEIGHTS);
}

/** A sweep run's trained tensors, or undefined when none were kept. */
export async function loadRunWeights(sweepId: string, runId: string): Promise<Tensors | undefined> {
  return (await withStore('readonly', (s) => s.get([sweepId, runId]) as IDBRequest<Tensors | undefined>, WEIGHTS)) ?? undefined;
}

/** A finished run of the training page as kept: its record, its tensors (when they arrived), and order. */
export interface KeptRun<R> {
  id: string;
  rec: R;
  tensors?: Tensors;
  order: number;
}

export async function saveRun<R>(run: KeptRun<R>): Promise<void> {
  await withStore('readwrite', (s) => s.put(run, run.id), RUNS);
}

/** Every kept run, oldest first. */
export async function loadRuns<R>(): Promise<KeptRun<R>[]> {
  const all = (await withStore('readonly', (s) => s.getAll() as IDBRequest<KeptRun<R>[]>, RUNS)) ?? [];
  return withoutForgotten('run', all, deleteRun).sort((a, b) => a.order - b.order);
}

/** Delete a kept run; a reload before the delete commits does not bring it back. */
export async function deleteRun(id: string): Promise<void> {
  markForgotten('run', id);
  await withStore('readwrite', (s) => s.delete(id), RUNS);
  unmarkForgotten('run', id);
}
