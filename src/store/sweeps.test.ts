import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/schema';
import type { ToEngine } from '../engine/protocol';
import { DEFAULT_SWEEP } from '../sweep/grid';
import { sweepToJson } from '../sweep/io';
import { flatTail } from '../sweep/synthetic';
import type { SweepDef } from '../sweep/types';
import { engineBridge } from './engineCalls';
import { flushSweepMessages, routeSweepMessage, useSweeps } from './sweeps';

const sent: ToEngine[] = [];
engineBridge.send = (m) => void sent.push(m);
const base = { ...DEFAULT_CONFIG };
const small: SweepDef = { ...structuredClone(DEFAULT_SWEEP as SweepDef), ranks: [1, 2], lr: { from: -6, to: -4, step: 1 } };

function lastSweepMsg() {
  const m = sent.filter((x) => x.type === 'sweep').at(-1);
  if (m?.type !== 'sweep') throw new Error('no sweep message');
  return m;
}

/** The engine finishing run `runId` with a final loss. */
function finish(runId: string, loss: number) {
  routeSweepMessage({ type: 'metrics', runId, points: flatTail(1, loss) });
  routeSweepMessage({ type: 'status', runId, status: { state: 'done', step: 400, stepsPerSec: 50, finalLoss: loss } });
}

beforeEach(() => {
  sent.length = 0;
  useSweeps.setState({ def: structuredClone(small), sweeps: [], active: null, progress: null, viewId: null, selected: [], message: null, calibration: null });
});

describe('sweeps store', () => {
  it('start sends every run of the grid to the engine; messages of its runs are routed here', () => {
    expect(useSweeps.getState().start(base, null)).toEqual([]);
    const msg = lastSweepMsg();
    expect(msg.runs.length).toBe(6);
    const s = useSweeps.getState();
    expect(s.active?.launchId).toBe(msg.sweepId);
    expect(s.sweeps[0].runs.map((r) => r.runId)).toEqual(msg.runs.map((r) => r.runId));

    finish(msg.runs[0].runId, 0.3);
    expect(routeSweepMessage({ type: 'metrics', runId: 'single-run', points: [] })).toBe(false); // not a sweep run
    expect(routeSweepMessage({ type: 'weights', runId: msg.runs[0].runId, tensors: {} })).toBe(true);
    routeSweepMessage({ type: 'sweep-progress', sweepId: msg.sweepId, done: 1, total: 6, adapterStepsPerSec: 123, etaSec: 9 });
    flushSweepMessages();
    const run = useSweeps.getState().sweeps[0].runs[0];
    expect(run.status?.state).toBe('done');
    expect(run.points.length).toBe(10);
    expect(useSweeps.getState().progress).toEqual({ adapterStepsPerSec: 123, etaSec: 9 });

    routeSweepMessage({ type: 'sweep-done', sweepId: msg.sweepId, cancelled: false });
    flushSweepMessages();
    expect(useSweeps.getState().active).toBeNull();
    expect(useSweeps.getState().sweeps[0].state).toBe('done');
  });

  it('refuses an invalid grid or a second sweep, with messages naming the axis', () => {
    useSweeps.getState().setDef({ ...small, ranks: [1, 500] });
    expect(useSweeps.getState().start(base, null)[0]).toMatch(/^ranks: rank 500/);
    useSweeps.getState().setDef(small);
    expect(useSweeps.getState().start(base, { maxStorageBufferBindingSize: 4096, maxBufferSize: 4096 })[0]).toMatch(/over this GPU's/);
    expect(sent.length).toBe(0);
    useSweeps.getState().start(base, null);
    expect(useSweeps.getState().start(base, null)).toEqual(['A sweep is already running: cancel it first.']);
  });

  it('cancel keeps finished runs; resume sends only the rest, under a new launch id', () => {
    useSweeps.getState().start(base, null);
    const first = lastSweepMsg();
    finish(first.runs[0].runId, 0.2);
    finish(first.runs[1].runId, 0.25);
    routeSweepMessage({ type: 'status', runId: first.runs[2].runId, status: { state: 'stopped', step: 3, stepsPerSec: 1, message: 'sweep cancelled' } });
    useSweeps.getState().cancel();
    expect(sent.at(-1)).toEqual({ type: 'cancel-sweep', sweepId: first.sweepId });
    routeSweepMessage({ type: 'sweep-done', sweepId: first.sweepId, cancelled: true });
    flushSweepMessages();
    const rec = useSweeps.getState().sweeps[0];
    expect(rec.state).toBe('cancelled');
    expect(rec.runs.filter((r) => r.status?.state === 'done').length).toBe(2);

    useSweeps.getState().resume(rec.id);
    const second = lastSweepMsg();
    expect(second.sweepId).not.toBe(first.sweepId);
    expect(second.runs.map((r) => r.runId)).toEqual(first.runs.slice(2).map((r) => r.runId));
    // A late message of the cancelled launch does not end the resumed one.
    routeSweepMessage({ type: 'sweep-done', sweepId: first.sweepId, cancelled: true });
    flushSweepMessages();
    expect(useSweeps.getState().active?.launchId).toBe(second.sweepId);
  });

  it('a lost device interrupts the sweep; it can be resumed', () => {
    useSweeps.getState().start(base, null);
    const msg = lastSweepMsg();
    finish(msg.runs[0].runId, 0.2);
    expect(routeSweepMessage({ type: 'error', kind: 'device-lost', message: 'lost' })).toBe(false);
    const rec = useSweeps.getState().sweeps[0];
    expect(rec.state).toBe('interrupted');
    expect(rec.runs[0].status?.state).toBe('done');
    expect(useSweeps.getState().active).toBeNull();
    useSweeps.getState().resume(rec.id);
    expect(lastSweepMsg().runs.length).toBe(5);
  });

  it('imports a sweep JSON to view it; a bad file changes nothing', () => {
    useSweeps.getState().start(base, null);
    const msg = lastSweepMsg();
    msg.runs.forEach((r, i) => finish(r.runId, 0.1 * (i + 1)));
    routeSweepMessage({ type: 'sweep-done', sweepId: msg.sweepId, cancelled: false });
    flushSweepMessages();
    const json = sweepToJson(useSweeps.getState().sweeps[0]);
    expect(useSweeps.getState().importJson('{"format":"nope"}')).toMatch(/not a LoRA Lab sweep file/);
    expect(useSweeps.getState().sweeps.length).toBe(1);
    expect(useSweeps.getState().importJson(json)).toBeNull();
    const s = useSweeps.getState();
    expect(s.sweeps.length).toBe(2);
    expect(s.sweeps[1].id).not.toBe(s.sweeps[0].id); // same id: renamed
    expect(s.viewId).toBe(s.sweeps[1].id);
    expect(s.sweeps[1].runs).toEqual(s.sweeps[0].runs);
  });

  it('calibration results asked for here come back here, once per config', () => {
    useSweeps.getState().calibrate(base);
    useSweeps.getState().calibrate(base);
    const cal = sent.filter((m) => m.type === 'calibrate');
    expect(cal.length).toBe(1);
    const requestId = cal[0].type === 'calibrate' ? cal[0].requestId : '';
    expect(routeSweepMessage({ type: 'calibrate-result', requestId: 'someone-else', stepsPerSec: 1 })).toBe(false);
    expect(routeSweepMessage({ type: 'calibrate-result', requestId, stepsPerSec: 250 })).toBe(true);
    expect(useSweeps.getState().calibration?.stepsPerSec).toBe(250);
  });
});
