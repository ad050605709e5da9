/** What IndexedDB holds of the page's (one) sweep and its kept runs, read in the page as the store wrote it. */
import type { Page } from '@playwright/test';

/**
 * Finished runs of the sweep stored in IndexedDB (-1 while there is none); with `withWeights`, only those
 * kept with their trained weights (a run kept without them, its batch cut off, is trained again on resume).
 */
export function storedSweepRuns(page: Page, withWeights = false): Promise<number> {
  return page.evaluate(
    (weights) =>
      new Promise<number>((resolve) => {
        const open = indexedDB.open('lora-lab-sweeps');
        open.onerror = () => resolve(-1);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('sweeps')) return resolve(-1);
          const get = db.transaction('sweeps', 'readonly').objectStore('sweeps').getAll();
          get.onerror = () => resolve(-1);
          get.onsuccess = () => {
            const rec = get.result[0] as { runs: { status: { state: string } | null; hasWeights?: boolean }[] } | undefined;
            db.close();
            const finished = (r: { status: { state: string } | null; hasWeights?: boolean }) => ['done', 'diverged', 'collapsed'].includes(r.status?.state ?? '') && (!weights || r.hasWeights === true);
            resolve(rec ? rec.runs.filter(finished).length : -1);
          };
        };
      }),
    withWeights,
  );
}

/**
 * Ids of the training page's runs kept in IndexedDB with their trained weights. A test that reloads to
 * check what is kept waits for these first: the write commits a moment after the run ends.
 */
export function storedRunsWithWeights(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const open = indexedDB.open('lora-lab-sweeps');
        open.onerror = () => resolve([]);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('runs')) return resolve([]);
          const get = db.transaction('runs', 'readonly').objectStore('runs').getAll();
          get.onerror = () => resolve([]);
          get.onsuccess = () => {
            db.close();
            resolve((get.result as { id?: string; tensors?: unknown }[]).filter((k) => k?.tensors && typeof k.id === 'string').map((k) => k.id!));
          };
        };
      }),
  );
}
