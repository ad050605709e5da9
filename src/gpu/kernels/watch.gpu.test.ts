import { describe, expect, it } from 'vitest';
import { createWatch } from './watch';
import { watchStep } from '../../ref/watch';
import { createStorageBuffer, readU32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';

describe('watch kernel on WebGPU', () => {
  it('records the first diverging step, as the reference rule', async () => {
    const device = await testDevice();
    const seq: { losses: number[]; stats: [number, number] }[] = [
      { losses: [1, 0.9, 0.8], stats: [4, 0] },
      { losses: [0.7, 0.7, 0.6], stats: [2, 0] },
      { losses: [0.5, NaN, 0.6], stats: [2, 0] },
      { losses: [Infinity, 1, 1], stats: [Infinity, 3] },
    ];
    const state = createStorageBuffer(device, 'state', 4);
    let recorded = 0;
    for (const [k, s] of seq.entries()) {
      const w = createWatch(device, 3, uploadF32(device, 'l', s.losses), uploadF32(device, 's', s.stats), state, 1e6);
      w.setStep(k + 1);
      await withErrorScope(device, () => runDispatches(device, [w.dispatch]));
      recorded = watchStep(recorded, s.losses, s.stats[0], s.stats[1], k + 1, 1e6);
      expect((await readU32(device, state, 1))[0]).toBe(recorded);
    }
    expect(recorded).toBe(3);
  });

  it('reads losses at a stride (one slot per micro-batch)', async () => {
    const device = await testDevice();
    const state = createStorageBuffer(device, 'state', 4);
    // slots at stride 4: losses 1, 2, NaN; the entries between slots (here Inf) are not losses
    const buf = uploadF32(device, 'l', [1, Infinity, 0, 0, 2, Infinity, 0, 0, 3, 0, 0, 0]);
    const w = createWatch(device, 3, buf, uploadF32(device, 's', [1, 0]), state, 1e6, 4);
    w.setStep(2);
    runDispatches(device, [w.dispatch]);
    expect((await readU32(device, state, 1))[0]).toBe(0);
  });

  it('catches a loss above the bound and non-finite gradient counts', async () => {
    const device = await testDevice();
    for (const [losses, stats, want] of [
      [[2e6], [1, 0], 1],
      [[0.5], [1, 1], 1],
      [[0.5], [NaN, 0], 1],
      [[0.5], [1, 0], 0],
    ] as const) {
      const state = createStorageBuffer(device, 'state', 4);
      const w = createWatch(device, 1, uploadF32(device, 'l', losses), uploadF32(device, 's', stats), state, 1e6);
      w.setStep(1);
      runDispatches(device, [w.dispatch]);
      expect((await readU32(device, state, 1))[0]).toBe(want);
    }
  });
});
