/**
 * Sweeps kept in the browser's IndexedDB, so finished runs survive a reload (and an interrupted sweep can
 * resume the rest). One object store, records keyed by sweep id, written whole (a sweep of ~100 runs with
 * their logged points is a few hundred KB). No library: the few calls needed are wrapped in promises.
 * Where IndexedDB is missing (Node tests, some private modes) every call is a no-op.
 */
import type { SweepRecord } from '../sweep/types';

const DB_NAME = 'lora-lab-sweeps';
const STORE = 'sweeps';
const VERSION = 1;

let opening: Promise<IDBDatabase | null> | null = null;

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function openDb(): Promise<IDBDatabase | null> {
  if (typeof indexedDB === 'undefined') return Promise.resolve(null);
  opening ??= new Promise<IDBDatabase | null>((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, VERSION);
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE, { keyPath: 'id' });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('cannot open IndexedDB'));
    r.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  }).catch((e) => {
    opening = null; // try again next time
    throw e;
  });
  return opening;
}

async function withStore<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T | undefined> {
  const db = await openDb();
  if (!db) return undefined;
  const tx = db.transaction(STORE, mode);
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
  const [result] = await Promise.all([req(f(tx.objectStore(STORE))), done]);
  return result;
}

/** Write (or overwrite) a sweep. */
export async function saveSweep(rec: SweepRecord): Promise<void> {
  await withStore('readwrite', (s) => s.put(rec));
}

/** Every kept sweep, oldest first. */
export async function loadSweeps(): Promise<SweepRecord[]> {
  const all = (await withStore('readonly', (s) => s.getAll() as IDBRequest<SweepRecord[]>)) ?? [];
  return all.sort((a, b) => a.createdAt - b.createdAt);
}

export async function deleteSweep(id: string): Promise<void> {
  await withStore('readwrite', (s) => s.delete(id));
}
