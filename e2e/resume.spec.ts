/**
 * Resume is exact: a sweep cut off by a reload and resumed gives, bit for bit, the losses, metrics and
 * trained weights of the same sweep trained without a break. Values are compared as float64 bit
 * patterns (weights as float32 bit patterns), not with a tolerance.
 * The grid: rank 2, lr 2^-5 and 2^3 (the second diverges within a few steps), seeds 1 and 2: seed is a
 * shared setting, so the 4 runs train as 2 batches of 2. The reload comes after the first batch and the
 * second batch's diverged run are kept, while its other run still trains: the resumed launch then has
 * that run left alone, which is where a different batch composition could change the numbers.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const CONFIG = { width: 16, layers: 1, steps: 60, batch: 8, evalSize: 16, logEvery: 5 };
const DEF = { ranks: [2], lr: { from: -5, to: 3, step: 8 }, seeds: [1, 2] };
const SWEEP_TIMEOUT = 200_000;

interface KeptRun {
  runId: string;
  config: unknown;
  status: { state: string; step: number; finalLoss?: number; divergedStep?: number } | null;
  points: Record<string, unknown>[];
  weights: number[] | null; // float32 bit patterns of every trained tensor, in key order
}
interface KeptSweep {
  id: string;
  state: string;
  runs: KeptRun[];
}

/** Every sweep kept in IndexedDB (oldest first), with each run's trained tensors as float32 bit patterns. */
function keptSweeps(page: Page): Promise<KeptSweep[]> {
  return page.evaluate(
    () =>
      new Promise<KeptSweep[]>((resolve, reject) => {
        const open = indexedDB.open('lora-lab-sweeps');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('sweeps')) return resolve([]);
          const tx = db.transaction(['sweeps', 'weights'], 'readonly');
          const all = tx.objectStore('sweeps').getAll();
          all.onsuccess = () => {
            const recs = (all.result as { id: string; createdAt: number; state: string; runs: KeptRun[] }[]).sort((a, b) => a.createdAt - b.createdAt);
            const out: KeptSweep[] = recs.map((s) => ({ id: s.id, state: s.state, runs: s.runs.map((r) => ({ runId: r.runId, config: r.config, status: r.status, points: r.points, weights: null })) }));
            for (const s of out)
              for (const r of s.runs) {
                const w = tx.objectStore('weights').get([s.id, r.runId]);
                w.onsuccess = () => {
                  const t = w.result as Record<string, Float32Array> | undefined;
                  if (t) r.weights = Object.keys(t).sort().flatMap((k) => [...new Uint32Array(t[k].buffer, t[k].byteOffset, t[k].length)]);
                };
              }
            tx.oncomplete = () => {
              db.close();
              resolve(out);
            };
          };
        };
      }),
  );
}

const finished = (s: KeptSweep | undefined) => (s ? s.runs.filter((r) => ['done', 'diverged', 'collapsed'].includes(r.status?.state ?? '')).length : -1);

/** A float64's bit pattern as hex (NaN, -0 and every last bit kept apart). */
function hex(x: number): string {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return v.getBigUint64(0).toString(16).padStart(16, '0');
}

/**
 * Every value that must not depend on the break, as (name, bit pattern): each logged point's numbers
 * (not its steps per second, a timing), the end status and the trained weights.
 */
function values(s: KeptSweep): [string, string][] {
  const out: [string, string][] = [];
  s.runs.forEach((r, i) => {
    r.points.forEach((p) => {
      for (const [k, v] of Object.entries(p).sort()) {
        if (k === 'stepsPerSec') continue;
        const list = Array.isArray(v) ? v : [v];
        list.forEach((x, j) => out.push([`run ${i} step ${String(p.step)} ${k}${Array.isArray(v) ? `[${j}]` : ''}`, typeof x === 'number' ? hex(x) : String(x)]));
      }
    });
    const st = r.status;
    out.push([`run ${i} status`, `${st?.state}@${st?.step} final ${hex(st?.finalLoss ?? NaN)} diverged ${st?.divergedStep}`]);
    out.push([`run ${i} point count`, String(r.points.length)]);
    (r.weights ?? []).forEach((w, j) => out.push([`run ${i} weight ${j}`, w.toString(16)]));
    out.push([`run ${i} weight count`, String(r.weights?.length ?? 'none')]);
  });
  return out;
}

/**
 * In the page, from its first script on (Playwright's init script), while sessionStorage holds 'e2e-cut' (the id of a sweep to
 * leave alone): the engine's messages are let through until another sweep's run 3 (batch 2's lr 2^3)
 * has ended; from then on they are held back, as if the page froze there, and the moment IndexedDB has
 * committed that sweep with 3 finished runs, 2 of them with weights, the page reloads, once. So the
 * cut lands in the same place on a fast or a slow machine: after batch 1 and batch 2's early end are
 * kept, before batch 2's other run is.
 */
function cutOnce(): void {
  const skip = () => sessionStorage.getItem('e2e-cut');
  let held = false;
  const ended = (s: { state: string } | null | undefined) => ['done', 'diverged', 'collapsed'].includes(s?.state ?? '');
  const Base = window.Worker;
  window.Worker = class extends Base {
    set onmessage(h: ((ev: MessageEvent) => void) | null) {
      super.onmessage = h && ((ev: MessageEvent) => {
        if (held) return;
        const m = ev.data as { type: string; runId?: string; status?: { state: string } };
        const cut = skip();
        const runId = m.runId?.split('@')[0]; // the engine's run id is the record's plus its launch
        if (cut && m.type === 'status' && ended(m.status) && runId?.endsWith('-3') && !runId.startsWith(`${cut}-`)) held = true;
        h(ev);
      });
    }
    get onmessage() {
      return super.onmessage;
    }
  };
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    const r = put.call(this, value, key);
    const rec = value as { id: string; runs: { status: { state: string } | null; hasWeights?: boolean }[] };
    if (held && this.name === 'sweeps' && skip() && rec.id !== skip()) {
      const n = rec.runs.filter((x) => ended(x.status)).length;
      const w = rec.runs.filter((x) => x.hasWeights).length;
      if (n >= 3 && w >= 2) {
        sessionStorage.removeItem('e2e-cut');
        sessionStorage.setItem('e2e-cut-at', `${n} finished, ${w} with weights`);
        this.transaction.addEventListener('complete', () => location.reload());
      }
    }
    return r;
  };
}

test('a sweep interrupted by a reload and resumed is bit-identical to the same sweep run without a break', async ({ page, consoleErrors }) => {
  const t0 = Date.now();
  await page.addInitScript(cutOnce);
  await page.goto('/');
  await page.evaluate(() => window.loraLab!.ready());
  const whole = await page.evaluate(([c, d]) => window.loraLab!.sweep(c, d), [CONFIG, DEF] as const);
  expect(whole.state).toBe('done');
  const t1 = Date.now();

  // The same sweep again, cut off by a reload once batch 1 and the early end of batch 2 are kept.
  await page.evaluate((skip) => sessionStorage.setItem('e2e-cut', skip), whole.sweepId);
  const reloaded = page.waitForEvent('load', { timeout: SWEEP_TIMEOUT });
  const cut = await page.evaluate(([c, d]) => window.loraLab!.sweep(c, d), [CONFIG, DEF] as const).catch(() => null); // ends with the reload
  expect(cut).toBeNull();
  await reloaded;
  const t2 = Date.now();
  const atReload = await page.evaluate(() => sessionStorage.getItem('e2e-cut-at'));
  expect(atReload).toBe('3 finished, 2 with weights');
  const cutId = (await keptSweeps(page))[1].id;
  expect(finished((await keptSweeps(page))[1])).toBe(3);
  const item = page.getByTestId('sweep-list').locator(`li[data-sweep-id="${cutId}"]`);
  await expect(item).toHaveAttribute('data-state', 'interrupted');
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeEnabled({ timeout: 60_000 });
  const t3 = Date.now();
  await item.getByRole('button', { name: 'Resume' }).click();
  await expect(item).toHaveAttribute('data-state', 'done', { timeout: SWEEP_TIMEOUT });
  await expect.poll(async () => (await keptSweeps(page))[1].runs.filter((r) => r.weights).length, { timeout: 30_000 }).toBe(4);

  const [a, b] = await keptSweeps(page);
  expect(a.runs.map((r) => r.config)).toEqual(b.runs.map((r) => r.config));
  const states = a.runs.map((r) => `${r.status?.state}@${r.status?.step}`);
  expect(a.runs.filter((r) => r.status?.state === 'done').length, `states ${states.join(',')}`).toBe(2); // lr 2^-5 trains, 2^3 does not
  const va = values(a);
  const vb = new Map(values(b));
  const differ = va.filter(([k, v]) => vb.get(k) !== v).map(([k, v]) => `${k}: ${v} vs ${vb.get(k) ?? 'missing'}`);
  console.log(
    `resume exact: runs ${states.join(', ')}; cut with ${atReload} of 4 runs kept; ${va.length} values compared bit for bit (losses, metrics, weights), ${differ.length} differ${differ.length ? `; first: ${differ.slice(0, 3).join('; ')}` : ''}; uninterrupted sweep ${t1 - t0} ms, cut ${t2 - t1} ms, page back ${t3 - t2} ms, resumed ${Date.now() - t3} ms`,
  );
  expect(vb.size).toBe(va.length);
  expect(differ.length).toBe(0);
  expect(consoleErrors).toEqual([]);
});
