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
