/**
 * The memory estimate against the bytes the allocator counted (createGpuBuffer) when the run loop built
 * the trainer on a real device, without a GPU error: a small toy run and a sweep group of it, each
 * within 10%. Settings over the device's maxBufferSize or over a stated budget
 * are refused before anything is allocated: no byte counted, no GPU error.
 */
import { describe, expect, it } from 'vitest';
import type { RunConfig } from './schema';
import { group, lm, toy } from '../test/configs';
import { groupMemory } from './memory';
import { bufferBytes } from '../gpu/buffers';
import { buildTask } from '../tasks/toy';
import { loadLmTask } from '../tasks/lmTask';
import { RunLoop, type RunSink } from '../engine/runLoop';
import { testDevice } from '../test/gpu';

const sink: RunSink = { metrics: () => {}, status: () => {}, weights: () => {} };

// Two toy settings sharing their kernels: every new shape compiles pipelines, which is slow on a
// software adapter (the language model's took ~50 s there). memory.test.ts compares many more settings,
// the language model's among them, on a stand-in device through the same allocation code.
const CASES: [string, RunConfig[]][] = [
  ['toy small', [toy({ width: 32, layers: 1, batch: 16, evalSize: 64 })]],
  ['toy sweep group R=3', group(toy({ width: 32, layers: 1, batch: 16, evalSize: 64 }), [1, 2, 4])],
];

describe('GPU memory: estimate vs counted bytes', () => {
  it('every setting is within 10% of the allocated bytes', async () => {
    const device = await testDevice();
    let worst = { ratio: 1, name: '' };
    for (const [name, cfgs] of CASES) {
      const task = buildTask(cfgs[0]);
      const t0 = performance.now();
      device.pushErrorScope('validation');
      const loop = new RunLoop(device, cfgs.map((config, i) => ({ runId: `r${i}`, config })), task, sink);
      loop.destroy();
      const error = await device.popErrorScope();
      expect(error?.message ?? null, name).toBeNull();
      const est = groupMemory(cfgs).totalBytes;
      const ratio = est / loop.gpuBytes;
      console.log(`memory ${name}: estimate ${est} B, allocated ${loop.gpuBytes} B, ratio ${ratio.toFixed(3)} (${Math.round(performance.now() - t0)} ms)`);
      if (Math.abs(ratio - 1) > Math.abs(worst.ratio - 1)) worst = { ratio, name };
      expect(ratio, name).toBeGreaterThan(0.9);
      expect(ratio, name).toBeLessThan(1.1);
    }
    console.log(`memory estimate: worst ratio ${worst.ratio.toFixed(3)} (${worst.name}) over ${CASES.length} settings`);
  });

  it('too big for maxBufferSize or the budget: refused before any allocation', async () => {
    const device = await testDevice();
    const lmTask = await loadLmTask(lm({}));
    // 64 language-model runs of 1024 windows of 128 bytes: one activation is 11 GiB
    const huge = group(lm({ batch: 1024, seqLen: 128, lmTargets: [0] }), Array(64).fill(4));
    const big = toy({ width: 1024, batch: 1024, evalSize: 64 });
    for (const [cfgs, task, budget, want] of [
      [huge, lmTask, undefined, /^64 runs of batch 1024 x seqLen 128: \S+ \(64 runs x 131072 x \d+\) needs [\d.]+ GiB, over this GPU's max\w+ [\d.]+ [GM]iB; lower batch or seqLen, or the runs trained together/],
      [[big], buildTask(big), 64 << 20, /^width 1024 x batch 1024: the buffers need [\d.]+ MiB in all, over the memory budget 64 MiB; lower batch or width$/],
    ] as const) {
      const before = { ...bufferBytes(device) };
      device.pushErrorScope('validation');
      let message = '';
      try {
        new RunLoop(device, cfgs.map((config, i) => ({ runId: `r${i}`, config })), task, sink, {}, undefined, 'off', budget);
      } catch (e) {
        message = (e as Error).message;
      }
      const error = await device.popErrorScope();
      console.log(`refused: "${message}"; bytes counted ${bufferBytes(device).created - before.created}; maxBufferSize ${device.limits.maxBufferSize}`);
      expect(message).toMatch(want);
      expect(bufferBytes(device).created).toBe(before.created);
      expect(error).toBeNull();
    }
  });
});
