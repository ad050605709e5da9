/** keepRuns with IndexedDB replaced by a map: what is written when, what comes back at start-up. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { KeptRun } from './persist';
import type { RunRecord } from './store';

const db = new Map<string, KeptRun<RunRecord>>();
const writes: string[] = [];
vi.mock('./persist', () => ({
  saveRun: async (k: KeptRun<RunRecord>) => void (db.set(k.id, structuredClone(k)), writes.push(`${k.id}:${k.rec.status.state}:${!!k.tensors}`)),
  loadRuns: async () => [...db.values()].sort((a, b) => a.order - b.order),
  deleteRun: async (id: string) => void (db.delete(id), writes.push(`-${id}`)),
}));

const { createLabStore } = await import('./store');
const { startKeepingRuns } = await import('./keepRuns');

beforeEach(() => {
  db.clear();
  writes.length = 0;
});

function endedRun(store: ReturnType<typeof createLabStore>): string {
  const sent: { type: string; runId?: string }[] = [];
  store.getState().connect((m) => void sent.push(m));
  store.getState().train();
  const runId = sent.find((m) => m.type === 'start')!.runId!;
  store.getState().receive({ type: 'status', runId, status: { state: 'done', step: 5, stepsPerSec: 1 } });
  store.getState().receive({ type: 'weights', runId, tensors: { A1: new Float32Array([1, 2]) } });
  return runId;
}

describe('kept runs', () => {
  it('a run is written when it ends and again when its tensors arrive; a removed run is deleted', async () => {
    const store = createLabStore();
    const stop = startKeepingRuns(store);
    const id = endedRun(store);
    expect(writes).toEqual([`${id}:done:false`, `${id}:done:true`]);
    store.getState().removeRun(id);
    expect(writes.at(-1)).toBe(`-${id}`);
    stop();
  });

  it('kept runs come back on the chart of a new store, with their tensors, and are not written again', async () => {
    const first = createLabStore();
    startKeepingRuns(first);
    const id = endedRun(first);
    writes.length = 0;

    const second = createLabStore();
    startKeepingRuns(second);
    await vi.waitFor(() => expect(second.getState().runs.map((r) => r.id)).toEqual([id]));
    expect(second.getState().runs[0].hasWeights).toBe(true);
    expect(second.getState().trainedTensors(id)).toEqual({ A1: new Float32Array([1, 2]) });
    expect(writes).toEqual([]);
  });
});
