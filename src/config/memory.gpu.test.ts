/**
 * The memory estimate against the bytes the allocator counted (createGpuBuffer) when the run loop built
 * the trainer: toy settings (LoRA, FFT, cross-entropy with dropout and accumulation, eval chunks longer
 * than the batch), the language model with a few target sets and ranks, and sweep groups of R runs;
 * each within 10%. Settings over the device's maxBufferSize or over a stated budget are refused before
 * anything is allocated: no byte counted, no GPU error.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, TASK_PRESETS, type RunConfig } from './schema';
import { groupMemory } from './memory';
import { bufferBytes } from '../gpu/buffers';
import { buildTask } from '../tasks/toy';
import { loadLmTask } from '../tasks/lmTask';
import { RunLoop, type RunSink } from '../engine/runLoop';
import { testDevice } from '../test/gpu';

const sink: RunSink = { metrics: () => {}, status: () => {}, weights: () => {} };
const toy = (p: Partial<RunConfig>): RunConfig => ({ ...DEFAULT_CONFIG, ...p });
const lm = (p: Partial<RunConfig>): RunConfig => ({ ...DEFAULT_CONFIG, ...TASK_PRESETS.lm, task: 'lm', seqLen: 32, batch: 2, ...p });
/** R runs of one group: ranks and learning rates differ. */
const group = (c: RunConfig, ranks: number[]) => ranks.map((r, i) => ({ ...c, r, lr: 2 ** (-8 + i) }));

const CASES: [string, RunConfig[]][] = [
  ['toy default', [toy({})]],
  ['toy small', [toy({ width: 32, layers: 1, batch: 16, evalSize: 64 })]],
  ['toy wide, long eval', [toy({ width: 512, layers: 3, targets: [1, 3], batch: 128, evalSize: 4096, r: 16 })]],
  ['toy ce, dropout, accum 2', [toy({ loss: 'ce', lora_dropout: 0.1, accum: 2, batch: 32 })]],
  ['toy fft', [toy({ mode: 'fft', width: 64 })]],
  ['toy sweep group R=6', group(toy({ width: 64, batch: 32 }), [1, 2, 4, 8, 8, 16])],
  ['lm q,v r=4', [lm({ lmTargets: [0, 2], r: 4 })]],
  ['lm all r=16', [lm({ lmTargets: Array.from({ length: 14 }, (_, i) => i), r: 16, batch: 4 })]],
  ['lm fft down', [lm({ mode: 'fft', lmTargets: [13] })]],
  ['lm sweep group R=4', group(lm({ lmTargets: [7, 9] }), [2, 4, 8, 8])],
];

describe('GPU memory: estimate vs counted bytes', () => {
  it('every setting is within 10% of the allocated bytes', async () => {
    const device = await testDevice();
    const lmTask = await loadLmTask(lm({}));
    let worst = { ratio: 1, name: '' };
    for (const [name, cfgs] of CASES) {
      const task = cfgs[0].task === 'lm' ? lmTask : buildTask(cfgs[0]);
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
    const big = toy({ width: 1024, batch: 1024 });
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
