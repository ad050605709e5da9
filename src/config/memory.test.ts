/**
 * The memory estimate against the bytes the allocator counts when the run loop builds a trainer, on a
 * stand-in device (src/test/fakeDevice.ts: sizes recorded, nothing compiled), over many settings: toy
 * LoRA, FFT, cross-entropy with dropout and accumulation, eval chunks longer than the batch, the
 * language model with several target sets and ranks, and sweep groups of R runs; each within 10%.
 * limitsProblem names the number, the limit and the settings to lower. The GPU test
 * (memory.gpu.test.ts) repeats a few of these on a real device.
 */
import { describe, expect, it } from 'vitest';
import type { RunConfig } from './schema';
import { group, lm, toy } from '../test/configs';
import { groupMemory, limitsProblem } from './memory';
import { buildTask } from '../tasks/toy';
import { lmTaskFrom } from '../tasks/lmTask';
import { BASE_SHAPE } from '../tasks/llamaBase';
import { randomBase } from '../test/lmRun';
import { RunLoop, type RunSink } from '../engine/runLoop';
import { fakeDevice } from '../test/fakeDevice';
import { bufferBytes } from '../gpu/buffers';

const sink: RunSink = { metrics: () => {}, status: () => {}, weights: () => {} };
const all14 = Array.from({ length: 14 }, (_, i) => i);

const CASES: [string, RunConfig[]][] = [
  ['toy default', [toy({})]],
  ['toy small', [toy({ width: 32, layers: 1, batch: 16, evalSize: 64 })]],
  ['toy tiny', [toy({ width: 16, layers: 1, batch: 8, evalSize: 16, r: 1 })]],
  ['toy wide, long eval', [toy({ width: 256, layers: 3, targets: [1, 3], batch: 128, evalSize: 4096, r: 64 })]],
  ['toy ce, dropout, accum 4', [toy({ loss: 'ce', lora_dropout: 0.1, accum: 4, batch: 32 })]],
  ['toy fft, sgd', [toy({ mode: 'fft', width: 256, optimizer: 'sgd', momentum: 0.9 })]],
  ['toy sweep group R=6', group(toy({ width: 64, batch: 32 }), [1, 2, 4, 8, 8, 16])],
  ['toy sweep group R=64', group(toy({ width: 64, batch: 64, evalSize: 2048 }), Array(64).fill(8))],
  ['lm q,v r=4', [lm({ lmTargets: [0, 2], r: 4 })]],
  ['lm all r=16 batch 8', [lm({ lmTargets: all14, r: 16, batch: 8, seqLen: 64 })]],
  ['lm fft down', [lm({ mode: 'fft', lmTargets: [13] })]],
  ['lm attention-only r=64 seq 128', [lm({ lmTargets: [0, 1, 2, 3, 7, 8, 9, 10], r: 64, seqLen: 128, batch: 4, accum: 2 })]],
  ['lm sweep group R=4', group(lm({ lmTargets: [7, 9] }), [2, 4, 8, 8])],
  ['lm sweep group R=16', group(lm({ lmTargets: all14, batch: 4 }), Array(16).fill(8))],
];

const base = randomBase(BASE_SHAPE, 1);
const text = new TextEncoder().encode('In the beginning was the word, and the word was with the lab. '.repeat(400));

describe('memory estimate vs counted bytes (stand-in device)', () => {
  it('every setting is within 10% of the bytes the trainer allocates', () => {
    let worst = { ratio: 1, name: '' };
    for (const [name, cfgs] of CASES) {
      const device = fakeDevice();
      const t0 = performance.now();
      const task = cfgs[0].task === 'lm' ? lmTaskFrom(cfgs[0], { shape: BASE_SHAPE, weights: base }, text, text) : buildTask(cfgs[0]);
      const loop = new RunLoop(device, cfgs.map((config, i) => ({ runId: `r${i}`, config })), task, sink, {}, undefined, 'off', Infinity);
      const est = groupMemory(cfgs).totalBytes;
      const ratio = est / loop.gpuBytes;
      expect(bufferBytes(device).created).toBe(loop.gpuBytes); // the loop counted every buffer of the device
      loop.destroy();
      console.log(`memory ${name}: estimate ${est} B, allocated ${loop.gpuBytes} B, ratio ${ratio.toFixed(4)} (${Math.round(performance.now() - t0)} ms)`);
      if (Math.abs(ratio - 1) > Math.abs(worst.ratio - 1)) worst = { ratio, name };
      expect(ratio, name).toBeGreaterThan(0.9);
      expect(ratio, name).toBeLessThan(1.1);
    }
    console.log(`memory estimate: worst ratio ${worst.ratio.toFixed(4)} (${worst.name}) over ${CASES.length} settings`);
  });

  it('names the number, the limit it is over and the settings to lower', () => {
    const c = toy({ width: 1024, batch: 1024 });
    const mem = groupMemory([c]);
    const roomy = { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31, budget: 2 ** 32 };
    expect(limitsProblem([c], roomy)).toBeNull();
    expect(limitsProblem([c], { ...roomy, maxBufferSize: mem.largest.bytes - 1 })).toMatch(/^width 1024 x batch 1024: .* needs 4 MiB, over this GPU's maxBufferSize [\d.]+ MiB; lower batch or width$/);
    expect(limitsProblem([c], { ...roomy, maxStorageBufferBindingSize: 2 ** 20 })).toMatch(/over this GPU's maxStorageBufferBindingSize 1 MiB; lower batch or width$/);
    expect(limitsProblem([c], { ...roomy, budget: 2 ** 26 })).toMatch(/^width 1024 x batch 1024: the buffers need [\d.]+ MiB in all, over the memory budget 64 MiB; lower batch or width$/);
    const sweep = group(lm({ batch: 64 }), Array(32).fill(4));
    expect(limitsProblem(sweep, { ...roomy, budget: 2 ** 30 })).toMatch(/^32 runs of batch 64 x seqLen 32: .* over the memory budget 1 GiB; lower batch or seqLen, or the runs trained together \(a smaller grid\)$/);
    console.log(`limits: ${limitsProblem(sweep, { ...roomy, budget: 2 ** 30 })}`);
  });
});
