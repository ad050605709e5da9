/** The segmented (one workgroup per run) passes of reduce and mse, used by batched sweeps. */
import { describe, expect, it } from 'vitest';
import { reduceStatsSegments } from './reduce';
import { mseLossSegments } from './mse';
import { reduceStats } from '../../ref/reduce';
import { mseLoss } from '../../ref/mse';
import { readF32, uploadF32, createStorageBuffer } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { Rng } from '../../rng';

describe('segmented reductions on WebGPU', () => {
  it.each([
    [1, 1, 64],
    [5, 17, 64],
    [3, 4099, 4160],
  ])('reduce: %i segments of %i at stride %i', async (R, n, stride) => {
    const device = await testDevice();
    const x = new Rng(n).normals(R * stride);
    x[stride + 3] = NaN; // a non-finite entry in segment 1 only (when it exists)
    const out = createStorageBuffer(device, 'out', R * 64 * 4);
    await withErrorScope(device, () => runDispatches(device, [reduceStatsSegments(device, R, n, stride, uploadF32(device, 'x', x), out, 64)]));
    const got = await readF32(device, out, R * 64);
    for (let r = 0; r < R; r++) {
      const want = reduceStats(x.subarray(r * stride, r * stride + n));
      expect(got[r * 64 + 1], `segment ${r} non-finite count`).toBe(want.nonfinite);
      if (want.nonfinite) continue;
      assertClose([got[r * 64], got[r * 64 + 2]], [want.sumsq, want.sum], { atol: 1e-5 * want.sumAbs, rtol: 1e-5 }, `segment ${r}`);
    }
  });

  it.each([
    [1, 10, 64],
    [4, 640, 640],
    [7, 33, 64],
  ])('mse: %i runs of %i against one target at stride %i', async (R, n, stride) => {
    const device = await testDevice();
    const rng = new Rng(R + n);
    const pred = rng.normals(R * stride);
    const target = rng.normals(n);
    const grad = createStorageBuffer(device, 'grad', R * stride * 4);
    const out = createStorageBuffer(device, 'out', R * 64 * 4);
    const d = mseLossSegments(device, { segments: R, n, segStride: stride, pred: uploadF32(device, 'pred', pred), target: uploadF32(device, 't', target), grad, out, outStride: 64, scale: 1.7, gradScale: 0.5 });
    await withErrorScope(device, () => runDispatches(device, [d]));
    const g = await readF32(device, grad, R * stride);
    const o = await readF32(device, out, R * 64);
    for (let r = 0; r < R; r++) {
      const want = mseLoss(pred.subarray(r * stride, r * stride + n), target, 1.7, 0.5);
      assertClose([o[r * 64]], [want.loss], { atol: 1e-6, rtol: 1e-5 }, `run ${r} loss`);
      assertClose(g.subarray(r * stride, r * stride + n), want.grad, { atol: 1e-7, rtol: 1e-5 }, `run ${r} grad`);
    }
  });
});
