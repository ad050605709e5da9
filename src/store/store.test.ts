/**
 * The one store: engine messages routed by `receive` (page runs, sweep runs, replies to requests), the
 * one notice channel, and requests settled by their reply only. Each test has its own store and a fake
 * engine (connect) that records what the store sends.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { FromEngine, ToEngine } from '../engine/protocol';
import type { AdapterSummary } from '../gpu/device';
import { bundleFiles, zipFiles } from '../export/bundle';
import { fakeRun, smallConfig } from '../test/exportRun';
import { flatTail } from '../sweep/synthetic';
import { DEFAULT_SWEEP } from '../sweep/grid';
import type { SweepDef } from '../sweep/types';
import type { InspectPoint } from '../engine/inspect';
import { createLabStore, type LabStore, type RunRecord } from './store';

let store: LabStore;
let sent: ToEngine[];
const lab = () => store.getState();
const receive = (m: FromEngine) => lab().receive(m);
const adapter = { vendor: 'test', limits: { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 } } as AdapterSummary;

function lastSent<T extends ToEngine['type']>(type: T): Extract<ToEngine, { type: T }> {
  const m = sent.filter((x) => x.type === type).at(-1);
  if (!m) throw new Error(`no ${type} message`);
  return m as Extract<ToEngine, { type: T }>;
}

/** A page run that ended, with its trained tensors arrived. */
function finishedRun(): string {
  lab().train();
  const { runId } = lastSent('start');
  receive({ type: 'metrics', runId, points: flatTail(1, 0.5) });
  receive({ type: 'status', runId, status: { state: 'done', step: 10, stepsPerSec: 5, finalLoss: 0.5 } });
  receive({ type: 'weights', runId, tensors: { A1: new Float32Array(4) } });
  return runId;
}

beforeEach(() => {
  store = createLabStore();
  sent = [];
  lab().connect((m) => void sent.push(m));
});

describe('the one store', () => {
  it('connect asks the engine for its GPU and states the memory budget; ready sets it', () => {
    expect(sent).toEqual([{ type: 'init' }, { type: 'memory-budget', bytes: lab().memoryBudget }]);
    receive({ type: 'ready', adapter });
    expect(lab().gpu).toEqual({ state: 'ready', adapter });
  });

  it("receive: a page run's messages go to the chart's runs, a sweep run's to its sweep", () => {
    lab().train();
    const { runId } = lastSent('start');
    lab().setSweepDef({ ...structuredClone(DEFAULT_SWEEP as SweepDef), ranks: [1], lr: { from: -6, to: -6, step: 1 } });
    lab().startSweep();
    const sweepRun = lastSent('sweep').runs[0].runId;

    receive({ type: 'metrics', runId, points: flatTail(1, 0.5) });
    receive({ type: 'metrics', runId: sweepRun, points: flatTail(1, 0.7) });
    lab().flushSweepMessages();
    expect(lab().runs.map((r) => [r.id, r.points.length])).toEqual([[runId, 10]]);
    expect(lab().sweeps[0].runs[0].points.length).toBe(10);

    receive({ type: 'status', runId: sweepRun, status: { state: 'done', step: 10, stepsPerSec: 5 } });
    receive({ type: 'weights', runId: sweepRun, tensors: { A1: new Float32Array(2) } });
    lab().flushSweepMessages();
    expect(lab().runs[0].status.state).toBe('building');
    expect(lab().trainedTensors(sweepRun)).toBeUndefined(); // sweep weights go to IndexedDB, not memory
    expect(lab().sweeps[0].runs[0].status?.state).toBe('done');

    receive({ type: 'status', runId, status: { state: 'done', step: 10, stepsPerSec: 5 } });
    receive({ type: 'weights', runId, tensors: { A1: new Float32Array(4) } });
    expect(lab().runs[0]).toMatchObject({ status: { state: 'done' }, hasWeights: true });
    expect(lab().trainedTensors(runId)?.A1.length).toBe(4);
    // Taken off the chart: its tensors are let go too.
    lab().removeRun(runId);
    expect(lab().trainedTensors(runId)).toBeUndefined();
  });

  it('one notice channel: a refused sweep, a rejected sweep file, a rejected adapter, a reset, a GPU error', () => {
    lab().setSweepDef({ ...structuredClone(DEFAULT_SWEEP as SweepDef), ranks: [1, 500] });
    lab().startSweep();
    lab().importSweepJson('bad.json', '{"format":"something else"}');
    lab().importFiles([{ name: 'adapter_model.safetensors', bytes: new Uint8Array(8) }]);
    lab().train();
    lab().setConfig({ ...lab().config, r: lab().config.r + 1 });
    receive({ type: 'ready', adapter });
    receive({ type: 'error', kind: 'uncaptured', message: 'bad bind group' });
    const n = lab().notices;
    expect(n.length).toBe(5);
    expect(n[0]).toMatch(/^Sweep not started: ranks: rank 500/);
    expect(n[1]).toMatch(/^Sweep import rejected: bad\.json: not a LoRA Lab sweep file/);
    expect(n[2]).toMatch(/^Import rejected: /);
    expect(n[3]).toMatch(/^r changed: the run was reset/);
    expect(n[4]).toBe('GPU error (uncaptured): bad bind group');
    lab().dismissNotice(1);
    expect(lab().notices.length).toBe(4);
    expect(lab().notices.some((x) => x.startsWith('Sweep import rejected'))).toBe(false);
  });

  it('an export reply settles its own request only; an error returns null with a notice naming the run', async () => {
    const runId = finishedRun();
    const label = lab().runs[0].label;
    const bundle = lab().exportRun(runId, 'bundle');
    const merged = lab().exportRun(runId, 'merged');
    await expect.poll(() => sent.filter((x) => x.type === 'export').length).toBe(2);
    const [b, m] = sent.filter((x) => x.type === 'export');
    if (b.type !== 'export' || m.type !== 'export') throw new Error('no export messages');
    expect([b.kind, b.source.label, b.source.tensors.A1.length, m.kind]).toEqual(['bundle', label, 4, 'merged']);
    const download = { name: 'x_merged.safetensors', bytes: new Uint8Array([1, 2]), type: 'application/octet-stream' };
    receive({ type: 'export-result', requestId: 'nobody', download }); // not ours: dropped
    receive({ type: 'export-result', requestId: m.requestId, download });
    expect(await merged).toEqual(download);
    let settled = false;
    void bundle.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    receive({ type: 'export-error', requestId: b.requestId, message: 'out of memory' });
    expect(await bundle).toBeNull();
    expect(lab().notices).toEqual([`Export of run ${label} failed: out of memory`]);
  });

  it('an export that cannot start says why, without asking the engine', async () => {
    lab().train();
    const { runId } = lastSent('start');
    expect(await lab().exportRun(runId, 'merged')).toBeNull();
    expect(await lab().exportSweepRun('no-sweep', 'no-run', 'bundle')).toBeNull();
    expect(sent.some((x) => x.type === 'export')).toBe(false);
    expect(lab().notices[0]).toMatch(/^Merged weights of run .* failed: it has no trained weights yet/);
    expect(lab().notices[1]).toBe('Export of run no-run failed: no such run in the sweep');
  });

  it('an imported adapter: its settings applied, evaluated by the engine (reply or error), trained further', async () => {
    const run = fakeRun(smallConfig({ seed: 7, r: 2, lora_alpha: 3, targets: [2] }));
    lab().setConfig(smallConfig());
    expect(lab().importFiles([{ name: 'run.zip', bytes: zipFiles(bundleFiles(run), run.created) }])).toBe(true);
    expect(lab().config).toMatchObject({ r: 2, lora_alpha: 3, seed: 7, targets: [2] });
    expect(lab().imported?.source).toBe('run.zip');
    expect(lab().notices.at(-1)).toMatch(/^Imported the adapter from run\.zip\. Settings taken from the adapter: /);

    let pending = lab().evaluateImport();
    expect(lab().importEvaluation).toBe('running');
    const first = lastSent('evaluate');
    expect(first.tensors).toEqual({ A2: run.tensors.A2, B2: run.tensors.B2 });
    receive({ type: 'evaluate-error', requestId: first.requestId, message: 'device lost' });
    await pending;
    expect(lab().importEvaluation).toBeNull();
    expect(lab().notices.at(-1)).toBe('Evaluating the imported adapter failed: device lost');

    pending = lab().evaluateImport();
    const evaluation = { baseLoss: 1, adapterLoss: 0.25, rows: 16 };
    receive({ type: 'evaluate-result', requestId: first.requestId, evaluation: { ...evaluation, rows: 99 } }); // settled already
    receive({ type: 'evaluate-result', requestId: lastSent('evaluate').requestId, evaluation });
    await pending;
    expect(lab().importEvaluation).toEqual(evaluation);

    const id = lab().trainImported();
    const start = lastSent('start');
    expect(start.runId).toBe(id);
    expect(start.initTensors).toEqual({ A2: run.tensors.A2, B2: run.tensors.B2 });
    expect(lab().runs.at(-1)?.label).toMatch(/\(from run\.zip\)$/);
  });

  it("inspections: a page run's are appended to it, a sweep run's final one is kept without its heatmap", () => {
    lab().train();
    const { runId } = lastSent('start');
    lab().setSweepDef({ ...structuredClone(DEFAULT_SWEEP as SweepDef), ranks: [1], lr: { from: -6, to: -6, step: 1 } });
    lab().startSweep();
    const sweepRun = lastSent('sweep').runs[0].runId;
    const point = (step: number): InspectPoint => ({
      step,
      modules: [{ module: 'layers.1', mode: 'lora', r: 1, sigma: [0.5], trueSigma: [1, 0.5], agreement: [0.9], effRank: 1, normDelta: 0.5 }],
      heat: { module: 'layers.1', rows: 1, cols: 2, delta: [0.1, -0.1], truth: [0.2, -0.2] },
      readbackMs: 2,
      computeMs: 1,
    });
    expect(lab().runs[0].inspect).toEqual([]);
    receive({ type: 'inspect', runId, point: point(10) });
    receive({ type: 'inspect', runId, point: point(20) });
    expect(lab().runs[0].inspect.map((p) => [p.step, !!p.heat])).toEqual([[10, false], [20, true]]);
    receive({ type: 'inspect', runId: sweepRun, point: point(30) });
    expect(lab().runs[0].inspect).toHaveLength(2);
    lab().flushSweepMessages();
    const kept = lab().sweeps[0].runs[0].inspect;
    expect(kept?.step).toBe(30);
    expect(kept?.modules[0].sigma).toEqual([0.5]);
    expect(kept && 'heat' in kept).toBe(false);
  });

  it('inspectModule asks the engine for that heatmap while the run is active only', () => {
    lab().inspectModule('layers.2');
    expect(sent.some((x) => x.type === 'inspect-module')).toBe(false);
    lab().train();
    lab().inspectModule('layers.2');
    expect(lastSent('inspect-module').module).toBe('layers.2');
  });

  it('a kept run from before inspections comes back with none', () => {
    const rec = { id: 'old', config: lab().config, label: 'old', status: { state: 'done' as const, step: 1, stepsPerSec: 1 }, points: [] };
    lab().restoreRuns([{ rec: rec as unknown as RunRecord }]);
    expect(lab().runs[0].inspect).toEqual([]);
  });

  it('stores are independent', () => {
    const other = createLabStore();
    other.getState().notify('elsewhere');
    lab().train();
    expect(lab().notices).toEqual([]);
    expect(other.getState().runs).toEqual([]);
  });
});
