import { describe, expect, it } from 'vitest';
import { reduceStats, STATS, STATS_LENGTH } from './reduce';
import * as ref from '../../ref/reduce';
import { createStorageBuffer, readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { Rng } from '../../rng';

/** Builds the chain once for x; `run` re-encodes it (the trainer's pattern) and reads the stats back. */
async function setup(x: Float32Array) {
  const device = await testDevice();
  const n = x.length;
  const bx = uploadF32(device, 'x', x);
  const out = createStorageBuffer(device, 'stats', STATS_LENGTH * 4);
  const dispatches = await withErrorScope(device, () => reduceStats(device, n, bx, out));
  const run = async () => {
    await withErrorScope(device, () => runDispatches(device, dispatches));
    const s = await readF32(device, out, STATS_LENGTH);
    return { sumsq: s[STATS.sumsq], nonfinite: s[STATS.nonfinite], sum: s[STATS.sum] };
  };
  return { device, bx, run };
}

/** f32 accumulation error grows with sum |x| (sum) and with sum x^2 itself (sumsq, all terms >= 0). */
function expectStats(got: { sumsq: number; nonfinite: number; sum: number }, x: Float32Array, label: string) {
  const want = ref.reduceStats(x);
  expect(got.nonfinite, `${label} nonfinite`).toBe(0);
  expect(Math.abs(got.sumsq - want.sumsq), `${label} sumsq ${got.sumsq} vs ${want.sumsq}`).toBeLessThanOrEqual(1e-30 + 1e-5 * want.sumsq);
  expect(Math.abs(got.sum - want.sum), `${label} sum ${got.sum} vs ${want.sum}`).toBeLessThanOrEqual(1e-30 + 1e-5 * want.sumAbs);
}

describe('reduce kernel on WebGPU', () => {
  it('matches float64 sums on awkward sizes, including a range longer than one grid stride', async () => {
    // 262144 = 1024 workgroups x 256 threads: 300_001 makes threads loop twice.
    for (const n of [1, 3, 17, 63, 64, 65, 129, 1000, 100_000, 300_001]) {
      const rng = new Rng(n);
      const x = rng.normals(n, 2);
      for (let i = 0; i < n; i += 7) x[i] += 0.5; // a non-zero mean, so sum is not just noise
      const { run } = await setup(x);
      expectStats(await run(), x, `n=${n}`);
    }
  });

  it('gives zeros for an empty range', async () => {
    const { run } = await setup(new Float32Array(0));
    expect(await run()).toEqual({ sumsq: 0, nonfinite: 0, sum: 0 });
  });

  it('detects a single NaN, +Inf or -Inf at the first, middle and last element of a large range', async () => {
    const n = 300_001;
    const x = new Rng(7).normals(n);
    const { device, bx, run } = await setup(x);
    expectStats(await run(), x, 'clean');
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const at of [0, n >> 1, n - 1]) {
        device.queue.writeBuffer(bx, at * 4, Float32Array.of(bad));
        const got = await run();
        expect(got.nonfinite, `${bad} at ${at}`).toBe(1);
        // The count is the contract; the sums propagating NaN/Inf is IEEE behaviour that SwiftShader keeps.
        if (Number.isNaN(bad)) expect(got.sumsq, `sumsq with NaN at ${at}`).toBeNaN();
        else expect(got.sumsq, `sumsq with ${bad} at ${at}`).toBe(Infinity);
        device.queue.writeBuffer(bx, at * 4, x.subarray(at, at + 1));
      }
    }
    expectStats(await run(), x, 'restored');
  });

  it('counts every non-finite entry exactly', async () => {
    const n = 1000;
    const x = new Rng(3).normals(n);
    const bad = [0, 1, 255, 256, 511, 999];
    bad.forEach((i, k) => (x[i] = [NaN, Infinity, -Infinity][k % 3]));
    const { run } = await setup(x);
    expect((await run()).nonfinite).toBe(bad.length);
  });

  it('finds a NaN that is not the canonical quiet NaN (any payload, either sign)', async () => {
    const x = new Float32Array(65);
    const bits = new Uint32Array(x.buffer);
    bits[3] = 0xffc00001; // negative quiet NaN with a payload
    bits[40] = 0x7f800001; // signalling-pattern NaN
    const { run } = await setup(x);
    expect((await run()).nonfinite).toBe(2);
  });
});
