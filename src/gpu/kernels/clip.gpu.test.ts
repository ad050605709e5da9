import { describe, expect, it } from 'vitest';
import { clipCoef, clipScale } from './clip';
import { reduceStats, STATS, STATS_LENGTH } from './reduce';
import * as ref from '../../ref/clip';
import { createStorageBuffer, readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { goldenClip } from '../../test/golden';
import { Rng } from '../../rng';

const TOL = { atol: 1e-6, rtol: 1e-5 };

/** Runs clipCoef on a given sumsq value and returns the coefficient. */
async function coefFor(sumsq: number, maxNorm: number): Promise<number> {
  const device = await testDevice();
  const stats = uploadF32(device, 'stats', [sumsq, 0, 0]);
  const coef = createStorageBuffer(device, 'coef', 4);
  await withErrorScope(device, () => runDispatches(device, [clipCoef(device, { sumsq: stats, coef, maxNorm }).dispatch]));
  return (await readF32(device, coef, 1))[0];
}

describe('clip kernels on WebGPU', () => {
  it.each(goldenClip.cases.map((c, k) => [k, c] as const))(
    'reduce -> coef -> scale matches PyTorch clip_grad_norm_ golden case %i (tensors bound as 256-byte-aligned ranges)',
    async (_k, c) => {
      const device = await testDevice();
      // Each tensor starts on a 64-float (256-byte) boundary, as storage-binding offsets require; the padding
      // is zero and adds nothing to the sum of squares.
      const stride = 64;
      const flat = new Float32Array(stride * c.grads.length);
      c.grads.forEach((g, t) => flat.set(g, t * stride));
      const grads = uploadF32(device, 'grads', flat);
      const stats = createStorageBuffer(device, 'stats', STATS_LENGTH * 4);
      const coef = createStorageBuffer(device, 'coef', 4);
      await withErrorScope(device, () =>
        runDispatches(device, [
          ...reduceStats(device, flat.length, grads, stats),
          clipCoef(device, { sumsq: stats, coef, maxNorm: c.max_norm }).dispatch,
          ...c.grads.map((g, t) => clipScale(device, g.length, { buffer: grads, offset: t * stride * 4, size: g.length * 4 }, coef)),
        ]),
      );
      const s = await readF32(device, stats, STATS_LENGTH);
      expect(Math.abs(Math.sqrt(s[STATS.sumsq]) - c.total_norm)).toBeLessThanOrEqual(1e-5 * c.total_norm);
      const out = await readF32(device, grads, flat.length);
      c.grads.forEach((g, t) => assertClose(out.subarray(t * stride, t * stride + g.length), c.clipped[t], TOL, `clipped[${t}]`));
      // the padding between ranges is untouched (still zero)
      c.grads.forEach((g, t) => expect(out.subarray(t * stride + g.length, (t + 1) * stride).every((v) => v === 0)).toBe(true));
    },
  );

  it('coef matches the reference over norms below, at and above max_norm, and when disabled', async () => {
    for (const [sumsq, maxNorm] of [[0, 1], [0.25, 1], [1, 1], [4, 1], [1e6, 0.5], [123.4, 3], [50, 0], [50, -2], [50, Infinity]]) {
      const got = await coefFor(sumsq, maxNorm);
      const want = ref.clipCoef(Math.fround(sumsq), maxNorm);
      expect(Math.abs(got - want), `sumsq=${sumsq} maxNorm=${maxNorm}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-7 + 1e-6 * want);
    }
  });

  it('coef follows PyTorch on a non-finite norm: Inf gives 0, NaN gives NaN', async () => {
    expect(await coefFor(Infinity, 1)).toBe(0);
    expect(await coefFor(NaN, 1)).toBeNaN();
    expect(await coefFor(NaN, 0)).toBe(1); // disabled clipping never looks at the norm
  });

  it('setMaxNorm changes the coefficient of the next submit without rebuilding', async () => {
    const device = await testDevice();
    const stats = uploadF32(device, 'stats', [16, 0, 0]);
    const coef = createStorageBuffer(device, 'coef', 4);
    const k = clipCoef(device, { sumsq: stats, coef, maxNorm: 2 });
    const results: number[] = [];
    for (const m of [2, 0, 8, 1]) {
      k.setMaxNorm(m);
      await withErrorScope(device, () => runDispatches(device, [k.dispatch]));
      results.push((await readF32(device, coef, 1))[0]);
    }
    assertClose(results, [2, 0, 8, 1].map((m) => ref.clipCoef(16, m)), TOL, 'setMaxNorm');
  });

  it('scale multiplies in place on awkward sizes', async () => {
    const device = await testDevice();
    for (const n of [1, 3, 17, 63, 64, 65, 129, 1000, 100_000]) {
      const g = new Rng(n).normals(n);
      const grads = uploadF32(device, 'grads', g);
      const c = 0.3 + (n % 7) / 10;
      const coef = uploadF32(device, 'coef', [c]);
      await withErrorScope(device, () => runDispatches(device, [clipScale(device, n, grads, coef)]));
      assertClose(await readF32(device, grads, n), Float64Array.from(g, (v) => v * Math.fround(c)), TOL, `scale n=${n}`);
    }
  });
});
