/**
 * The run loop applies every live setting from the next step: a run whose learning rate, weight decay,
 * LoRA+ ratio or clipping threshold changes mid-run must train exactly as the CPU reference does with
 * the same change at the same step, and differently from a run without the change.
 */
import { describe, expect, it } from 'vitest';
import { RunLoop, type RunSink } from './runLoop';
import { CpuTrainer } from '../ref/trainer';
import { buildSetup, hyperAt, stepInputs } from './setup';
import { buildTask } from '../tasks/toy';
import { DEFAULT_CONFIG, type RunConfig } from '../config/schema';
import { testDevice } from '../test/gpu';
import type { MetricPoint, RunStatus } from './protocol';

const SMALL: Partial<RunConfig> = { width: 24, layers: 2, dIn: 8, dOut: 5, trueRank: 2, batch: 8, evalSize: 16, steps: 12, r: 3, lora_alpha: 3, targets: [1, 2], schedule: 'constant', logEvery: 1 };
const SWITCH = 6; // steps 1..6 with the first config, 7..12 with the second

function sinkFor(points: MetricPoint[], statuses: RunStatus[]): RunSink {
  return { metrics: (_, p) => points.push(...p), status: (_, s) => statuses.push(s), weights: () => {} };
}

/** The CPU reference's losses with the config switched after SWITCH steps. */
function cpuLosses(before: RunConfig, after: RunConfig): number[] {
  const task = buildTask(before);
  const cpu = new CpuTrainer(buildSetup(before, task));
  const out: number[] = [];
  for (let t = 1; t <= before.steps; t++) out.push(cpu.step({ t, hypers: [hyperAt(t <= SWITCH ? before : after, t)], x: stepInputs(before, task, t) }).loss);
  return out;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-3, Math.abs(b));

describe('live settings apply from the next step', () => {
  it.each([
    ['lr', { lr: 2 ** -7 }, { lr: 2 ** -3 }],
    ['weightDecay', { weightDecay: 0 }, { weightDecay: 0.9 }],
    ['loraPlusRatio', { loraPlusRatio: 1 }, { loraPlusRatio: 16 }],
    ['clip', { clip: 0 }, { clip: 0.02 }],
  ] as const)('%s', async (field, from, to) => {
    const device = await testDevice();
    const before: RunConfig = { ...DEFAULT_CONFIG, ...SMALL, lr: 2 ** -5, ...from };
    const after: RunConfig = { ...before, ...to };
    const points: MetricPoint[] = [];
    const statuses: RunStatus[] = [];
    const loop = new RunLoop(device, [{ runId: 'r', config: before }], buildTask(before), sinkFor(points, statuses));
    for (let t = 1; t <= SWITCH; t++) await loop.singleStep();
    loop.updateLive('r', after);
    for (let t = SWITCH + 1; t <= before.steps; t++) await loop.singleStep();
    await loop.postWeights();
    loop.destroy();

    expect(points.map((p) => p.step)).toEqual(Array.from({ length: before.steps }, (_, i) => i + 1));
    // the logged hyperparameters say what each step ran with
    for (const p of points) expect(p[field], `step ${p.step} ${field}`).toBe(p.step <= SWITCH ? before[field] : after[field]);
    const want = cpuLosses(before, after);
    const unchanged = cpuLosses(before, before);
    points.forEach((p, i) => expect(rel(p.loss, want[i]), `step ${p.step}: gpu ${p.loss} cpu ${want[i]}`).toBeLessThan(2e-4));
    // the change is visible: by the last step the switched run is far from the one without the switch
    const last = before.steps - 1;
    expect(rel(want[last], unchanged[last]), `${field}: the change should move the loss`).toBeGreaterThan(1e-2);
    expect(statuses.at(-1)?.state).toMatch(/done|collapsed/);
  });
});

describe('the run loop keeps logged steps in flight', () => {
  it('a group run to the end posts every logged step in order, equal to stepping one at a time, and ends each run', async () => {
    const device = await testDevice();
    const ok: RunConfig = { ...DEFAULT_CONFIG, ...SMALL, steps: 14, logEvery: 2, lr: 2 ** -5 };
    // SGD at a huge lr on Init[B] diverges within a few steps, while the other run goes on
    const bad: RunConfig = { ...ok, lr: 2 ** 3, init: 'initB', clip: 0 };
    const runAll = async (stepwise: boolean) => {
      const points = new Map<string, MetricPoint[]>();
      const statuses = new Map<string, RunStatus>();
      const sink: RunSink = {
        metrics: (id, p) => points.set(id, [...(points.get(id) ?? []), ...p]),
        status: (id, s) => statuses.set(id, s),
        weights: () => {},
      };
      const runs = [{ runId: 'ok', config: ok }, { runId: 'bad', config: bad }];
      const loop = new RunLoop(device, runs, buildTask(ok), sink);
      if (stepwise) while (!loop.done) await loop.singleStep();
      else await loop.runToEnd();
      await loop.postWeights();
      loop.destroy();
      return { points, statuses };
    };
    const piped = await runAll(false);
    const stepped = await runAll(true);
    const logged = piped.points.get('ok')!.map((p) => p.step);
    expect(logged).toEqual([1, 2, 4, 6, 8, 10, 12, 14]);
    expect(piped.statuses.get('ok')?.state).toMatch(/done|collapsed/);
    expect(piped.statuses.get('bad')?.state).toBe('diverged');
    const divergedAt = piped.statuses.get('bad')!.divergedStep!;
    expect(divergedAt).toBeGreaterThan(0);
    expect(stepped.statuses.get('bad')?.divergedStep).toBe(divergedAt);
    // the same losses at the same logged steps (stepping one at a time logs every step)
    const byStep = new Map(stepped.points.get('ok')!.map((p) => [p.step, p.loss]));
    for (const p of piped.points.get('ok')!) expect(p.loss, `step ${p.step}`).toBe(byStep.get(p.step));
    expect(piped.points.get('bad')!.at(-1)!.step).toBeLessThanOrEqual(14);
  });
});

describe('the run loop when the device is lost', () => {
  it('ends the run failed with the reason, and no promise is left rejected without a handler', async () => {
    const adapter = (await navigator.gpu.requestAdapter())!;
    const device = await adapter.requestDevice();
    const cfg: RunConfig = { ...DEFAULT_CONFIG, ...SMALL, steps: 400, logEvery: 1 };
    const unhandled: unknown[] = [];
    const onUnhandled = (e: PromiseRejectionEvent) => {
      unhandled.push(e.reason);
      e.preventDefault();
    };
    window.addEventListener('unhandledrejection', onUnhandled);
    const points: MetricPoint[] = [];
    const statuses: RunStatus[] = [];
    const loop = new RunLoop(device, [{ runId: 'r', config: cfg }], buildTask(cfg), sinkFor(points, statuses));
    try {
      loop.play();
      await expect.poll(() => points.length, { timeout: 30_000 }).toBeGreaterThan(2);
      device.destroy(); // as a lost GPU process does: every pending and later mapAsync rejects
      await expect.poll(() => statuses.at(-1)?.state, { timeout: 30_000 }).toBe('failed');
      expect(statuses.at(-1)?.message).toBeTruthy();
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled).toEqual([]);
    } finally {
      window.removeEventListener('unhandledrejection', onUnhandled);
      loop.destroy();
    }
  });
});
