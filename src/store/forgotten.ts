/**
 * Ids of kept records (training-page runs, sweeps) the user removed, held in localStorage until IndexedDB
 * has confirmed the delete. An IndexedDB delete commits a moment later, and a reload in that moment aborts
 * it, so the record would come back; a localStorage write is done when the call returns. Reading the kept
 * records leaves these ids out and deletes them again. Where localStorage is refused (a sandbox, some
 * private windows), a removal is as durable as the IndexedDB delete alone.
 */
export const FORGOTTEN_KEY = 'lora-lab-forgotten';

export type KeptKind = 'run' | 'sweep';

const entry = (kind: KeptKind, id: string) => `${kind}:${id}`;

function read(): string[] {
  try {
    const v: unknown = JSON.parse(globalThis.localStorage?.getItem(FORGOTTEN_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return []; // no storage, or a value this page did not write
  }
}

function write(list: string[]): void {
  try {
    if (list.length) globalThis.localStorage?.setItem(FORGOTTEN_KEY, JSON.stringify(list));
    else globalThis.localStorage?.removeItem(FORGOTTEN_KEY);
  } catch {
    // storage refused: the IndexedDB delete is all there is
  }
}

/** Note a removal before its IndexedDB delete starts. */
export function markForgotten(kind: KeptKind, id: string): void {
  const list = read();
  if (!list.includes(entry(kind, id))) write([...list, entry(kind, id)]);
}

/** The IndexedDB delete of this record has committed: nothing more to remember. */
export function unmarkForgotten(kind: KeptKind, id: string): void {
  const list = read();
  if (list.includes(entry(kind, id))) write(list.filter((x) => x !== entry(kind, id)));
}

/** Ids of this kind removed by the user whose delete may not have committed. */
export function forgottenIds(kind: KeptKind): Set<string> {
  const prefix = `${kind}:`;
  return new Set(read().filter((x) => x.startsWith(prefix)).map((x) => x.slice(prefix.length)));
}
