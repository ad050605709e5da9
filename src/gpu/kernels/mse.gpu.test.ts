import { describe, expect, it } from 'vitest';
import { mseLoss } from './mse';
import * as ref from '../../ref/mse';
import { createStorageBuffer, readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { goldenLosses } from '../../test/golden';
import { Rng } from '../../rng';

const TOL = { atol: 1e-6, rtol: 1e-5 };
// The loss is a sum of n non-negative terms: relative error only, f32 rounding grows ~log2(n) eps.
const LOSS_TOL = { atol: 1e-12, rtol: 1e-5 };

async function setup(pred: Float32Array, target: Float32Array, scale?: number, gradScale?: number) {
  const device = await testDevice();
  const n = pred.length;
  const grad = createStorageBuffer(device, 'grad', n * 4);
  // out is bound as a range at byte 256 of a metrics buffer, as the trainer may do.
  const metrics = createStorageBuffer(device, 'metrics', 512);
  const k = await withErrorScope(device, () =>
    mseLoss(device, {
      n, pred: uploadF32(device, 'pred', pred), target: uploadF32(device, 'target', target), grad,
      out: { buffer: metrics, offset: 256, size: 4 }, scale, gradScale,
    }),
  );
  const run = async () => {
    await withErrorScope(device, () => runDispatches(device, k.dispatches));
    return { loss: (await readF32(device, metrics, 1, 64))[0], grad: await readF32(device, grad, n) };
  };
  return { k, run };
}

describe('mse kernel on WebGPU', () => {
  it('matches the reference on awkward sizes with a loss scale and a gradient scale', async () => {
    // 300_001 > 1024 workgroups x 256 threads: threads loop more than once.
    for (const n of [1, 3, 17, 63, 64, 65, 129, 1000, 100_000, 300_001]) {
      const rng = new Rng(n);
      const pred = rng.normals(n);
      const target = rng.normals(n, 2);
      const scale = 1 / 0.3 ** 2;
      const gradScale = 0.25;
      const got = await (await setup(pred, target, scale, gradScale)).run();
      const want = ref.mseLoss(pred, target, scale, gradScale);
      assertClose([got.loss], [want.loss], LOSS_TOL, `loss n=${n}`);
      // grad magnitudes are ~1/n: scale atol with them so the check still bites at n = 300_001
      assertClose(got.grad, want.grad, { atol: 1e-6 * (scale / n), rtol: 1e-5 }, `grad n=${n}`);
    }
  });

  it('passes the PyTorch golden case', async () => {
    const g = goldenLosses.mse;
    const got = await (await setup(Float32Array.from(g.pred), Float32Array.from(g.target))).run();
    assertClose([got.loss], [g.loss], LOSS_TOL, 'golden loss');
    assertClose(got.grad, g.grad, TOL, 'golden grad');
  });

  it('setScale changes loss and gradient of the next submit without rebuilding', async () => {
    const rng = new Rng(5);
    const pred = rng.normals(65);
    const target = rng.normals(65);
    const { k, run } = await setup(pred, target);
    for (const [s, gs] of [[1, 1], [4, 1], [4, 0.5], [0.1, 3]]) {
      k.setScale(s, gs);
      const got = await run();
      const want = ref.mseLoss(pred, target, s, gs);
      assertClose([got.loss], [want.loss], LOSS_TOL, `loss s=${s}`);
      assertClose(got.grad, want.grad, TOL, `grad s=${s} gs=${gs}`);
    }
  });

  it('rejects n < 1', async () => {
    const device = await testDevice();
    const b = createStorageBuffer(device, 'b', 16);
    expect(() => mseLoss(device, { n: 0, pred: b, target: b, grad: b, out: b })).toThrow(/n must be/);
  });
});
