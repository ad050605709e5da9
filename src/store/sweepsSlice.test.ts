import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/schema';
import type { FromEngine, ToEngine } from '../engine/protocol';
import type { AdapterSummary } from '../gpu/device';
import { DEFAULT_SWEEP } from '../sweep/grid';
import { sweepToJson } from '../sweep/io';
import { flatTail } from '../sweep/synthetic';
import type { SweepDef } from '../sweep/types';
import { createLabStore, type LabStore } from './store';

const small: SweepDef = { ...structuredClone(DEFAULT_SWEEP as SweepDef), ranks: [1, 2], lr: { from: -6, to: -4, step: 1 } };
let store: LabStore;
let sent: ToEngine[];
const lab = () => store.getState();
const receive = (m: FromEngine) => lab().receive(m);

/** The sweep record's run id of an engine run id (each launch sends its runs under ids of its own). */
const recordId = (engineId: string) => engineId.slice(0, engineId.indexOf('@'));

function lastSweepMsg() {
  const m = sent.filter((x) => x.type === 'sweep').at(-1);
  if (m?.type !== 'sweep') throw new Error('no sweep message');
  return m;
}

/** The engine finishing run `runId` with a final loss. */
function finish(runId: string, loss: number) {
  receive({ type: 'metrics', runId, points: flatTail(1, loss) });
  receive({ type: 'status', runId, status: { state: 'done', step: 400, stepsPerSec: 50, finalLoss: loss } });
}

/** The engine posting run `runId`'s trained tensors; they are marked kept once IndexedDB (here: none) took them. */
async function weights(runId: string) {
  receive({ type: 'weights', runId, tensors: { A1: new Float32Array(2), B1: new Float32Array(2) } });
  await new Promise((r) => setTimeout(r, 0));
}

beforeEach(() => {
  store = createLabStore();
  sent = [];
  lab().connect((m) => void sent.push(m));
  sent.length = 0; // connect asked for the GPU
  lab().setSweepDef(structuredClone(small));
});

describe('sweeps in the store', () => {
  it('start sends every run of the grid to the engine; messages of its runs are applied to the sweep', () => {
    expect(lab().startSweep()).toEqual([]);
    const msg = lastSweepMsg();
    expect(msg.runs.length).toBe(6);
    expect(lab().activeSweep?.launchId).toBe(msg.sweepId);
    expect(lab().sweeps[0].runs.map((r) => r.runId)).toEqual(msg.runs.map((r) => recordId(r.runId)));
    expect(msg.runs[0].config).toMatchObject({ ...DEFAULT_CONFIG, r: 1, lr: 2 ** -6 });

    finish(msg.runs[0].runId, 0.3);
    receive({ type: 'sweep-progress', sweepId: msg.sweepId, done: 1, total: 6, adapterStepsPerSec: 123, etaSec: 9 });
    expect(lab().sweeps[0].runs[0].status).toBeNull(); // queued until the flush
    lab().flushSweepMessages();
    const run = lab().sweeps[0].runs[0];
    expect(run.status?.state).toBe('done');
    expect(run.points.length).toBe(10);
    expect(lab().sweepProgress).toEqual({ adapterStepsPerSec: 123, etaSec: 9 });

    receive({ type: 'sweep-done', sweepId: msg.sweepId, cancelled: false });
    lab().flushSweepMessages();
    expect(lab().activeSweep).toBeNull();
    expect(lab().sweeps[0].state).toBe('done');
  });

  it('queued messages are applied together after FLUSH_MS without a manual flush', async () => {
    lab().startSweep();
    const msg = lastSweepMsg();
    const updates: number[] = [];
    store.subscribe((s, prev) => s.sweeps !== prev.sweeps && updates.push(1));
    finish(msg.runs[0].runId, 0.3);
    finish(msg.runs[1].runId, 0.4);
    expect(updates.length).toBe(0);
    await expect.poll(() => lab().sweeps[0].runs.filter((r) => r.status?.state === 'done').length).toBe(2);
    expect(updates.length).toBe(1);
  });

  it('refuses an invalid grid, one over the GPU limits, or a second sweep, with a notice naming why', () => {
    lab().setSweepDef({ ...small, ranks: [1, 500] });
    expect(lab().startSweep()[0]).toMatch(/^ranks: rank 500/);
    expect(lab().notices.at(-1)).toMatch(/^Sweep not started: ranks: rank 500/);
    lab().setSweepDef(small);
    lab().setGpu({ state: 'ready', adapter: { limits: { maxStorageBufferBindingSize: 4096, maxBufferSize: 4096 } } as AdapterSummary });
    expect(lab().startSweep()[0]).toMatch(/over this GPU's/);
    expect(sent.length).toBe(0);
    lab().setGpu({ state: 'probing' });
    expect(lab().startSweep()).toEqual([]);
    expect(lab().startSweep()).toEqual(['A sweep is already running: cancel it first.']);
    expect(lab().notices.length).toBe(3);
    expect(lab().notices.at(-1)).toBe('Sweep not started: A sweep is already running: cancel it first.');
  });

  it('cancel keeps finished runs; resume sends only the rest, under a new launch id', async () => {
    lab().startSweep();
    const first = lastSweepMsg();
    finish(first.runs[0].runId, 0.2);
    finish(first.runs[1].runId, 0.25);
    await weights(first.runs[0].runId);
    await weights(first.runs[1].runId);
    receive({ type: 'status', runId: first.runs[2].runId, status: { state: 'stopped', step: 3, stepsPerSec: 1, message: 'sweep cancelled' } });
    lab().cancelSweep();
    expect(sent.at(-1)).toEqual({ type: 'cancel-sweep', sweepId: first.sweepId });
    receive({ type: 'sweep-done', sweepId: first.sweepId, cancelled: true });
    lab().flushSweepMessages();
    const rec = lab().sweeps[0];
    expect(rec.state).toBe('cancelled');
    expect(rec.runs.filter((r) => r.status?.state === 'done').length).toBe(2);

    lab().resumeSweep(rec.id);
    const second = lastSweepMsg();
    expect(second.sweepId).not.toBe(first.sweepId);
    expect(second.runs.map((r) => recordId(r.runId))).toEqual(first.runs.slice(2).map((r) => recordId(r.runId)));
    // A late message of the cancelled launch does not end the resumed one.
    receive({ type: 'sweep-done', sweepId: first.sweepId, cancelled: true });
    lab().flushSweepMessages();
    expect(lab().activeSweep?.launchId).toBe(second.sweepId);
  });

  it('a lost device interrupts the sweep (and is a notice); it can be resumed', async () => {
    lab().setGpu({ state: 'ready', adapter: { limits: { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 } } as AdapterSummary });
    lab().startSweep();
    const msg = lastSweepMsg();
    finish(msg.runs[0].runId, 0.2);
    await weights(msg.runs[0].runId);
    receive({ type: 'error', kind: 'device-lost', message: 'lost' });
    const rec = lab().sweeps[0];
    expect(rec.state).toBe('interrupted');
    expect(rec.runs[0].status?.state).toBe('done');
    expect(lab().activeSweep).toBeNull();
    expect(lab().notices).toEqual(['GPU error (device-lost): lost']);
    lab().resumeSweep(rec.id);
    expect(lastSweepMsg().runs.length).toBe(5);
  });

  it('after a lost device and a resume, late messages of the lost launch do not reach the runs trained again', async () => {
    lab().startSweep();
    const first = lastSweepMsg();
    finish(first.runs[0].runId, 0.2);
    await weights(first.runs[0].runId);
    receive({ type: 'metrics', runId: first.runs[1].runId, points: flatTail(1, 0.5) });
    receive({ type: 'error', kind: 'device-lost', message: 'lost' });
    // before the resume: the lost launch's runner still posting (a failed readback, its last points)
    receive({ type: 'metrics', runId: first.runs[1].runId, points: flatTail(1, 0.05) });
    receive({ type: 'status', runId: first.runs[1].runId, status: { state: 'failed', step: 9, stepsPerSec: 1, message: 'readback' } });
    lab().flushSweepMessages();
    expect(lab().sweeps[0].runs[1].points.map((p) => p.loss)).toEqual(flatTail(1, 0.5).map((p) => p.loss));
    expect(lab().sweeps[0].runs[1].status).toBeNull();

    lab().resumeSweep(lab().sweeps[0].id);
    const second = lastSweepMsg();
    expect(second.runs[0].runId).not.toBe(first.runs[1].runId);
    expect(recordId(second.runs[0].runId)).toBe(recordId(first.runs[1].runId));
    // after it: the old launch's messages of the same run are dropped, the new launch's are applied
    receive({ type: 'metrics', runId: first.runs[1].runId, points: flatTail(1, 0.01) });
    receive({ type: 'status', runId: first.runs[1].runId, status: { state: 'collapsed', step: 9, stepsPerSec: 1, finalLoss: 9 } });
    receive({ type: 'weights', runId: first.runs[1].runId, tensors: { A1: new Float32Array(2), B1: new Float32Array(2) } });
    finish(second.runs[0].runId, 0.3);
    await weights(second.runs[0].runId);
    lab().flushSweepMessages();
    const run = lab().sweeps[0].runs[1];
    expect(run.status?.state).toBe('done');
    expect(run.points.map((p) => p.loss)).toEqual(flatTail(1, 0.3).map((p) => p.loss));
    expect(run.hasWeights).toBe(true);
    expect(lab().sweeps[0].runs.filter((r) => r.hasWeights).length).toBe(2);
  });

  it('a run that ended early in a batch cut off before its weights came is trained again on resume, with its batch', async () => {
    lab().startSweep();
    const first = lastSweepMsg();
    finish(first.runs[0].runId, 0.2);
    await weights(first.runs[0].runId);
    // run 1 diverged while the rest of its batch trained on; the weights come at the batch's end
    receive({ type: 'status', runId: first.runs[1].runId, status: { state: 'diverged', step: 5, stepsPerSec: 50, divergedStep: 5 } });
    receive({ type: 'error', kind: 'device-lost', message: 'lost' });
    const rec = lab().sweeps[0];
    expect(rec.runs[1].status?.state).toBe('diverged');
    lab().resumeSweep(rec.id);
    expect(lastSweepMsg().runs.map((r) => recordId(r.runId))).toEqual(first.runs.slice(1).map((r) => recordId(r.runId)));
    expect(lab().sweeps[0].runs[1].status).toBeNull(); // its old points are dropped with it
  });

  it('imports a sweep JSON to view it; a bad file is a notice naming it and changes nothing', () => {
    lab().startSweep();
    const msg = lastSweepMsg();
    msg.runs.forEach((r, i) => finish(r.runId, 0.1 * (i + 1)));
    receive({ type: 'sweep-done', sweepId: msg.sweepId, cancelled: false });
    lab().flushSweepMessages();
    const json = sweepToJson(lab().sweeps[0]);
    expect(lab().importSweepJson('bad.json', '{"format":"nope"}')).toBe(false);
    expect(lab().notices).toEqual([expect.stringMatching(/^Sweep import rejected: bad\.json: not a LoRA Lab sweep file/)]);
    expect(lab().sweeps.length).toBe(1);
    expect(lab().importSweepJson('good.json', json)).toBe(true);
    const s = lab();
    expect(s.sweeps.length).toBe(2);
    expect(s.sweeps[1].id).not.toBe(s.sweeps[0].id); // same id: renamed
    expect(s.viewedSweepId).toBe(s.sweeps[1].id);
    expect(s.sweeps[1].runs).toEqual(s.sweeps[0].runs);
    expect(s.notices.length).toBe(1);
  });

  it('calibration results asked for here come back here, once per config', async () => {
    lab().calibrate(DEFAULT_CONFIG);
    lab().calibrate(DEFAULT_CONFIG);
    const cal = sent.filter((m) => m.type === 'calibrate');
    expect(cal.length).toBe(1);
    const requestId = cal[0].type === 'calibrate' ? cal[0].requestId : '';
    receive({ type: 'calibrate-result', requestId: 'someone-else', stepsPerSec: 1 });
    receive({ type: 'calibrate-result', requestId, stepsPerSec: 250 });
    await expect.poll(() => lab().calibration?.stepsPerSec).toBe(250);
    lab().calibrate(DEFAULT_CONFIG); // known now
    expect(sent.filter((m) => m.type === 'calibrate').length).toBe(1);
  });
});
