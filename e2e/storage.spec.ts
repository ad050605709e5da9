/**
 * When the browser's storage fails, the page keeps working, says what it could not keep, and loses
 * nothing else: no IndexedDB at all, writes refused for lack of room (QuotaExceededError), damaged
 * records in the database, two tabs writing at once, and deletes cut off by a reload. Faults are made with
 * init scripts that run before the page's own scripts. Every page of a test fails it on a console error or
 * uncaught exception.
 * Tiny runs only: width 16, one layer, 20 steps; sweeps of 2 runs in one batch.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from './fixtures';

const RUN = { width: 16, layers: 1, steps: 20, batch: 8, evalSize: 16, logEvery: 5, lr: 2 ** -5 };
const SWEEP = { ranks: [1, 2], lr: { from: -5, to: -5, step: 1 } };

interface Kept {
  runs: { id: string; points: number; tensors: boolean }[];
  sweeps: { id: string; name: string; state: string; finished: number; withWeights: number }[];
}

/** What IndexedDB holds, read in `page`. */
function kept(page: Page): Promise<Kept> {
  return page.evaluate(
    () =>
      new Promise<Kept>((resolve, reject) => {
        const open = indexedDB.open('lora-lab-sweeps');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const out: Kept = { runs: [], sweeps: [] };
          if (!db.objectStoreNames.contains('runs')) return resolve(out);
          const tx = db.transaction(['runs', 'sweeps'], 'readonly');
          const runs = tx.objectStore('runs').getAll();
          runs.onsuccess = () => {
            for (const k of runs.result as { id: string; rec?: { points?: unknown[] }; tensors?: unknown }[]) out.runs.push({ id: k?.id, points: k?.rec?.points?.length ?? -1, tensors: !!k?.tensors });
          };
          const sweeps = tx.objectStore('sweeps').getAll();
          sweeps.onsuccess = () => {
            for (const s of sweeps.result as { id: string; name: string; state: string; runs: { status: { state: string } | null; hasWeights?: boolean }[] }[]) {
              const runsOf = Array.isArray(s.runs) ? s.runs : [];
              out.sweeps.push({ id: s.id, name: s.name, state: s.state, finished: runsOf.filter((r) => r?.status?.state === 'done').length, withWeights: runsOf.filter((r) => r?.hasWeights).length });
            }
          };
          tx.oncomplete = () => {
            db.close();
            resolve(out);
          };
        };
      }),
  );
}

/** Fail the test on `p`'s console errors and uncaught exceptions (the fixture watches only `page`). */
function watched(p: Page, errors: string[]): Page {
  p.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return p;
}

async function open(p: Page): Promise<void> {
  await p.goto('/');
  await p.evaluate(() => window.loraLab!.ready());
}

/** Train one tiny run to its end; returns its id and losses. */
async function train(p: Page, lr = RUN.lr): Promise<{ runId: string; losses: number[] }> {
  const r = await p.evaluate((c) => window.loraLab!.train(c), { ...RUN, lr });
  expect(r.status.state).toBe('done');
  expect(r.points.length).toBe(5); // steps 1, 5, 10, 15, 20
  return { runId: r.runId, losses: r.points.map((x) => x.loss) };
}

/** Run a 2-run sweep to its end; returns its id. */
async function sweep(p: Page): Promise<string> {
  const s = await p.evaluate(([c, d]) => window.loraLab!.sweep(c, d), [RUN, SWEEP] as const);
  expect(s.state).toBe('done');
  expect(s.csv.trim().split('\n').length).toBe(3);
  return s.sweepId;
}

/** A page of the same browser profile with nothing patched, with the kept runs and sweeps back. */
async function freshPage(context: BrowserContext, errors: string[]): Promise<Page> {
  const p = watched(await context.newPage(), errors);
  await open(p);
  return p;
}

const chartRuns = async (p: Page) => JSON.parse((await p.getByTestId('loss-chart').getAttribute('data-series')) ?? '[]') as { id: string; points: unknown[] }[];
const notices = (p: Page) => p.getByTestId('notices').locator('.notice span').allTextContents();

/** Save a run and a finished sweep in a normal page first: what must survive the fault. */
async function keepSomething(context: BrowserContext, errors: string[]): Promise<{ runId: string; sweepId: string }> {
  const p = await freshPage(context, errors);
  const { runId } = await train(p);
  const sweepId = await sweep(p);
  await expect.poll(async () => (await kept(p)).sweeps.find((s) => s.id === sweepId)?.withWeights).toBe(2);
  await expect.poll(async () => (await kept(p)).runs.find((r) => r.id === runId)?.tensors).toBe(true);
  await p.close();
  return { runId, sweepId };
}

/** After the fault: a new page has the earlier run on its chart and the earlier sweep whole. */
async function expectEarlierIntact(context: BrowserContext, errors: string[], before: { runId: string; sweepId: string }): Promise<Page> {
  const p = await freshPage(context, errors);
  await expect.poll(async () => (await chartRuns(p)).map((r) => r.id)).toContain(before.runId);
  await expect(p.getByTestId('sweep-list').locator(`li[data-sweep-id="${before.sweepId}"]`)).toContainText('2 / 2 runs finished');
  expect((await kept(p)).sweeps.find((s) => s.id === before.sweepId)).toMatchObject({ state: 'done', finished: 2, withWeights: 2 });
  return p;
}

test('without IndexedDB (a private window) the page trains, runs sweeps and says nothing will be kept', async ({ page, context, consoleErrors }) => {
  const before = await keepSomething(context, consoleErrors);
  await page.addInitScript(() => Object.defineProperty(window, 'indexedDB', { get: () => undefined, configurable: true }));
  await open(page);
  expect(await page.evaluate(() => typeof indexedDB)).toBe('undefined');
  await expect(page.getByTestId('notices')).toContainText('no storage (IndexedDB; a private window?): runs and sweeps will not be kept after a reload');
  const run = await train(page);
  const sweepId = await sweep(page);
  await expect(page.getByTestId('sweep-list').locator(`li[data-sweep-id="${sweepId}"]`)).toContainText('2 / 2 runs finished');
  const said = await notices(page);
  const p = await expectEarlierIntact(context, consoleErrors, before);
  console.log(`no IndexedDB: run trained (final loss ${run.losses.at(-1)}), 2-run sweep done on the page; notices: ${JSON.stringify(said)}; earlier run and sweep intact in a new page: yes`);
  expect(said.length).toBe(1);
  await p.close();
});

test('writes refused for lack of room: the sweep and run stay on the page, notices name them, earlier data is intact', async ({ page, context, consoleErrors }) => {
  const before = await keepSomething(context, consoleErrors);
  // Sweep records: the first write (the sweep as it starts) goes in, every later one is refused. Trained
  // weights: the second write is refused. Runs of the training page: every write is refused. A real full
  // disk refuses in either way: put throws, or the transaction aborts; both are made here.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    const writes: Record<string, number> = {};
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      const n = (writes[this.name] = (writes[this.name] ?? 0) + 1);
      const full = () => new DOMException('the disk is full', 'QuotaExceededError');
      if ((this.name === 'sweeps' && n >= 2) || this.name === 'runs') throw full();
      const r = put.call(this, value, key);
      if (this.name === 'weights' && n === 2) this.transaction.abort();
      return r;
    };
  });
  await open(page);
  const run = await train(page);
  const sweepId = await sweep(page);
  // The sweep is whole on the page: both runs finished, with their final losses in the table.
  const item = page.getByTestId('sweep-list').locator(`li[data-sweep-id="${sweepId}"]`);
  await expect(item).toContainText('2 / 2 runs finished');
  await expect(item).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('sweep-table').locator('tbody tr [data-field="final"]').filter({ hasText: /\d/ })).toHaveCount(2);
  expect((await chartRuns(page)).map((r) => r.id)).toContain(run.runId);
  await expect(page.getByTestId('notices')).toContainText('Could not keep sweep "lab sweep" in this browser (it stays on this page until a reload): the disk is full');
  await expect(page.getByTestId('notices')).toContainText(/Could not keep run .* in this browser \(it stays on the chart until a reload\): the disk is full/);
  await expect(page.getByTestId('notices')).toContainText(/Could not keep the trained weights of run .* in this browser/);
  const said = await notices(page);
  // A second run still trains after the refusals.
  await train(page, 2 ** -6);

  const p = await expectEarlierIntact(context, consoleErrors, before);
  const after = await kept(p);
  const cut = after.sweeps.find((s) => s.id === sweepId);
  // What was written before the disk filled is there: the sweep as it started, to be resumed.
  expect(cut).toMatchObject({ state: 'running', finished: 0 });
  await expect(p.getByTestId('sweep-list').locator(`li[data-sweep-id="${sweepId}"]`)).toHaveAttribute('data-state', 'interrupted');
  expect(after.runs.some((r) => r.id === run.runId)).toBe(false);
  console.log(`storage full: run and 2-run sweep trained and shown; ${said.length} notices (${said.map((s) => s.slice(0, 40)).join(' | ')}); after reload: earlier run and sweep intact, the refused sweep kept as it started (${cut?.finished} finished, resumable), refused run absent`);
  expect(said.length).toBe(3); // one per thing not kept, not one per write
  await p.close();
});

test('damaged records in IndexedDB are left out with a notice, damaged weights refuse their export by name; the rest loads and the page trains', async ({ page, context, consoleErrors }) => {
  const before = await keepSomething(context, consoleErrors);
  await open(page);
  // and the trained weights of the good sweep's first run: one tensor a plain list
  const damagedRun = `${before.sweepId}-0`;
  await page.evaluate(
    (runId) =>
      new Promise<void>((resolve, reject) => {
        const o = indexedDB.open('lora-lab-sweeps');
        o.onsuccess = () => {
          const tx = o.result.transaction(['sweeps', 'runs', 'weights'], 'readwrite');
          const w = tx.objectStore('weights');
          const key = [runId.slice(0, runId.lastIndexOf('-')), runId];
          const get = w.get(key);
          get.onsuccess = () => w.put({ ...(get.result as object), A0: [1, 2, 3] }, key);
          tx.objectStore('sweeps').put({ id: 'bad-runs', name: 'runs is a string', createdAt: 1, state: 'done', runs: 'oops' });
          tx.objectStore('sweeps').put({ id: 'bad-config', name: 'a run with bad settings', createdAt: 2, state: 'done', def: {}, base: {}, runs: [{ runId: 'x', axes: { log2lr: -5 }, config: { width: 'wide' }, status: null, points: [] }] });
          tx.objectStore('runs').put({ id: 'bad-points', order: 0, rec: { id: 'bad-points', label: 'x', config: {}, status: { state: 'done', step: 3 }, points: 7 } }, 'bad-points');
          tx.objectStore('runs').put(42, 'not-a-run');
          tx.oncomplete = () => (o.result.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
      }),
    damagedRun,
  );
  await page.reload();
  await page.evaluate(() => window.loraLab!.ready());
  await expect(page.getByTestId('sweep-list').locator(`li[data-sweep-id="${before.sweepId}"]`)).toContainText('2 / 2 runs finished');
  await expect(page.getByTestId('sweep-list').locator('li')).toHaveCount(1);
  await expect.poll(async () => (await chartRuns(page)).map((r) => r.id)).toEqual([before.runId]);
  await expect(page.getByTestId('notices')).toContainText('A kept sweep could not be read and is not shown ("runs is a string"): the sweep definition is missing');
  await expect(page.getByTestId('notices')).toContainText(/A kept sweep could not be read and is not shown \("a run with bad settings"\): run 1 settings: .*width/);
  await expect(page.getByTestId('notices')).toContainText('A kept run could not be read and is not shown (bad-points): points is not a list');
  await expect(page.getByTestId('notices')).toContainText('A kept run could not be read and is not shown (no id): not a kept run');
  // The damaged weights: exporting that run is refused, naming the tensor; the other run exports.
  await page.getByTestId('sweep-table').locator(`tr[data-run-id="${damagedRun}"]`).getByRole('checkbox').check();
  await page.getByRole('button', { name: `Export bundle of sweep run ${damagedRun}` }).click();
  await expect(page.getByTestId('notices')).toContainText(`of run ${damagedRun}`);
  await expect(page.getByTestId('notices')).toContainText('its kept weights are damaged (tensor A0 is not a list of float32 values), so it cannot be exported');
  const said = await notices(page);
  const run = await train(page);
  // The damaged records are left where they were (nothing is deleted behind the user's back).
  const after = await kept(page);
  expect(after.sweeps.map((s) => s.id).sort()).toEqual(['bad-config', 'bad-runs', before.sweepId].sort());
  console.log(`damaged records: ${said.length} notices, the good sweep and run loaded, a new run trained (final loss ${run.losses.at(-1)}); kept sweeps ${after.sweeps.length}, kept runs ${after.runs.length}`);
  expect(said.length).toBe(5);
});

test('two tabs training and sweeping at once, with clocks that agree, keep both tabs\' runs and sweeps', async ({ page, context, consoleErrors }) => {
  // Both tabs read the same millisecond: ids made of time and a per-tab count alone would collide.
  const sameClock = () => {
    const t = 1_800_000_000_000;
    Date.now = () => t;
  };
  await page.addInitScript(sameClock);
  const other = watched(await context.newPage(), consoleErrors);
  await other.addInitScript(sameClock);
  await Promise.all([open(page), open(other)]);
  const [a, b] = await Promise.all([train(page), train(other, 2 ** -6)]);
  const [sa, sb] = await Promise.all([sweep(page), sweep(other)]);
  const ids = [a.runId, b.runId, sa, sb];
  expect(new Set(ids).size).toBe(4);
  const p = await freshPage(context, consoleErrors);
  await expect.poll(async () => (await kept(p)).sweeps.map((s) => `${s.id}:${s.finished}:${s.withWeights}`).sort()).toEqual([`${sa}:2:2`, `${sb}:2:2`].sort());
  await expect.poll(async () => (await chartRuns(p)).map((r) => r.id).sort()).toEqual([a.runId, b.runId].sort());
  // each tab's run came back with its own losses
  const back = await chartRuns(p);
  for (const r of [a, b]) expect(back.find((x) => x.id === r.runId)!.points.map((q) => (q as number[])[1])).toEqual(r.losses);
  await expect(p.getByTestId('sweep-list').locator('li')).toHaveCount(2);
  console.log(`two tabs at once: ids ${ids.join(', ')}; after reload 2/2 runs and 2/2 sweeps (2 finished runs each, with weights) kept, losses as trained`);
  await Promise.all([other.close(), p.close()]);
});

test('a run and a sweep removed just before a reload stay removed, though the reload cut their IndexedDB deletes off', async ({ page, context, consoleErrors }) => {
  // A reload in the moment after Remove aborts the IndexedDB delete: made here by deletes of runs and
  // sweeps that never commit (the request never answers, nothing is deleted), in this page only.
  await page.addInitScript(() => {
    const del = IDBObjectStore.prototype.delete;
    IDBObjectStore.prototype.delete = function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
      if (this.name === 'runs' || this.name === 'sweeps') return {} as IDBRequest<undefined>;
      return del.call(this, key);
    };
  });
  await open(page);
  const run = await train(page);
  const kept1 = await train(page, 2 ** -6);
  const sweepId = await sweep(page);
  await expect.poll(async () => (await kept(page)).runs.filter((r) => r.tensors).length).toBe(2);
  await expect.poll(async () => (await kept(page)).sweeps.find((s) => s.id === sweepId)?.withWeights).toBe(2);
  await page.getByTestId('legend').getByRole('button', { name: /^Remove run / }).first().click();
  await page.getByRole('button', { name: /^Remove sweep / }).click();
  await expect.poll(async () => (await chartRuns(page)).map((r) => r.id)).toEqual([kept1.runId]);
  await expect(page.getByTestId('sweep-list').locator('li')).toHaveCount(0);
  const stillInDb = await kept(page);
  expect(stillInDb.runs.map((r) => r.id)).toContain(run.runId); // the delete did not commit
  expect(stillInDb.sweeps.map((s) => s.id)).toContain(sweepId);
  await page.close();

  const p = await freshPage(context, consoleErrors);
  await expect.poll(async () => (await chartRuns(p)).map((r) => r.id)).toEqual([kept1.runId]);
  await expect(p.getByTestId('sweep-list').locator('li')).toHaveCount(0);
  // The new page finished the deletes, and has nothing more to remember.
  await expect.poll(async () => { const k = await kept(p); return { runs: k.runs.map((r) => r.id), sweeps: k.sweeps.length }; }).toEqual({ runs: [kept1.runId], sweeps: 0 });
  await expect.poll(() => p.evaluate(() => localStorage.getItem('lora-lab-forgotten'))).toBeNull();
  console.log(`removed before a cut-off delete: after reload the removed run and sweep stayed off (chart ${JSON.stringify((await chartRuns(p)).map((r) => r.id))}, 0 sweeps), IndexedDB cleaned by the new page`);
  await p.close();
});
