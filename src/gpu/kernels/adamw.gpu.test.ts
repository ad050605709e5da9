import { describe, expect, it } from 'vitest';
import { createAdamW, type AdamWConfig, type OptimizerTiling, type ParamGroupRange } from './adamw';
import * as ref from '../../ref/adamw';
import { readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { goldenOptimizers as G } from '../../test/golden';
import { Rng } from '../../rng';

const CFG: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
// f32 state over a few steps; the update is ~lr per step, so atol is relative to parameters of O(1).
const TOL = { atol: 1e-5, rtol: 1e-4 };

/**
 * Three groups listed out of order, with a gap [ceil(n/3), ceil(n/2)) that no group covers; with
 * align = 4 (and n a multiple of 4) every boundary is rounded up to a multiple of 4: the vec4f variant.
 */
function awkwardGroups(n: number, align = 1): { groups: ParamGroupRange[]; gap: [number, number] } {
  const up = (x: number) => Math.min(n, Math.ceil(x / align) * align);
  const a = up(Math.ceil(n / 3)), b = up(Math.ceil(n / 2)), c = up(Math.ceil((3 * n) / 4));
  return { groups: [{ start: c, end: n }, { start: 0, end: a }, { start: b, end: c }], gap: [a, b] };
}

async function setup(p0: Float32Array, clip: number) {
  const device = await testDevice();
  const n = p0.length;
  const bufs = {
    params: uploadF32(device, 'p', p0),
    grads: uploadF32(device, 'g', new Float32Array(n)),
    m: uploadF32(device, 'm', new Float32Array(n)),
    v: uploadF32(device, 'v', new Float32Array(n)),
    clipCoef: uploadF32(device, 'clip', [clip]),
  };
  return { device, bufs };
}

describe('AdamW kernel on WebGPU', () => {
  it.each([
    ['adamw', 0.01],
    ['adamw_no_decay', 0],
  ] as const)('passes the PyTorch golden trajectory (%s)', async (key, wd) => {
    const { device, bufs } = await setup(Float32Array.from(G.p0), 1);
    const opt = createAdamW(device, G.p0.length, [{ start: 0, end: G.p0.length }], bufs, CFG);
    for (const [step, lr] of G.lrs.entries()) {
      device.queue.writeBuffer(bufs.grads, 0, Float32Array.from(G.grads[step]));
      opt.setStep(step + 1, [{ lr, weightDecay: wd }]);
      await withErrorScope(device, () => runDispatches(device, [opt.dispatch]));
      assertClose(await readF32(device, bufs.params, G.p0.length), G[key].params_after_each_step[step], TOL, `${key} step ${step + 1}`);
    }
  });

  async function checkAgainstRef(n: number, tiling?: OptimizerTiling, lanes: 1 | 4 = 1) {
    const rng = new Rng(n);
    const p0 = rng.normals(n);
    const { device, bufs } = await setup(p0, 0.7);
    const { groups, gap } = awkwardGroups(n, lanes);
    const opt = createAdamW(device, n, groups, bufs, CFG, tiling);
    const s = ref.adamwInit(p0);
    for (let t = 1; t <= 3; t++) {
      const hyper = [{ lr: 0.01 * t, weightDecay: 0.1 }, { lr: 0.003, weightDecay: 0 }, { lr: 0.05, weightDecay: 0.02 }];
      const g = rng.normals(n, 2);
      device.queue.writeBuffer(bufs.grads, 0, g);
      opt.setStep(t, hyper);
      await withErrorScope(device, () => runDispatches(device, [opt.dispatch]));
      ref.adamwStep(s, g, t, groups, hyper, CFG, 0.7);
    }
    const what = `n=${n} tiling=${JSON.stringify(tiling ?? 'default')} lanes=${lanes}`;
    expect(opt.lanes, what).toBe(lanes);
    const p = await readF32(device, bufs.params, n);
    assertClose(p, s.p, TOL, `p ${what}`);
    assertClose(await readF32(device, bufs.m, n), s.m, TOL, `m ${what}`);
    assertClose(await readF32(device, bufs.v, n), s.v, TOL, `v ${what}`);
    for (let i = gap[0]; i < gap[1]; i++) expect(p[i]).toBe(p0[i]);
  }

  it.each([undefined, { wg: 64, items: 3 }])(
    'matches the reference on awkward sizes with 3 groups, a gap, and clip coefficient 0.7 (tiling %o)',
    async (tiling) => {
      for (const n of [1, 3, 17, 63, 64, 65, 129, 100_003]) await checkAgainstRef(n, tiling);
    },
  );

  it.each([undefined, { wg: 64, items: 8 }])('takes the vec4f variant when n and every group boundary are multiples of 4 (tiling %o)', async (tiling) => {
    for (const n of [4, 64, 1028, 100_004]) await checkAgainstRef(n, tiling, 4);
  });

  it('handles a grid folded into y (more than 65535 workgroups, forced with 1-thread tiles)', async () => {
    // the groups cover ~83k of the 100_003 elements, one workgroup each: grid [41668, 2, 1]
    await checkAgainstRef(100_003, { wg: 1, items: 1 });
    // vec4f: 4 elements per workgroup, ~333k elements covered -> more than 65535 workgroups
    await checkAgainstRef(400_000, { wg: 1, items: 4 }, 4);
  });

  it('is a no-op until the first setStep', async () => {
    const p0 = new Rng(1).normals(70);
    const { device, bufs } = await setup(p0, 1);
    device.queue.writeBuffer(bufs.grads, 0, new Float32Array(70).fill(1));
    const opt = createAdamW(device, 70, [{ start: 0, end: 70 }], bufs, CFG);
    await withErrorScope(device, () => runDispatches(device, [opt.dispatch]));
    expect(Array.from(await readF32(device, bufs.params, 70))).toEqual(Array.from(p0));
    expect(Array.from(await readF32(device, bufs.m, 70)).every((x) => x === 0)).toBe(true);
  });

  it('rejects overlapping or out-of-range groups and a bad step', async () => {
    const { device, bufs } = await setup(new Float32Array(10), 1);
    expect(() => createAdamW(device, 10, [{ start: 0, end: 6 }, { start: 5, end: 10 }], bufs, CFG)).toThrow(/overlap/);
    expect(() => createAdamW(device, 10, [{ start: 0, end: 11 }], bufs, CFG)).toThrow(/inside/);
    const opt = createAdamW(device, 10, [{ start: 0, end: 10 }], bufs, CFG);
    expect(() => opt.setStep(0, [{ lr: 1, weightDecay: 0 }])).toThrow(/>= 1/);
    expect(() => opt.setStep(1, [])).toThrow(/groups/);
  });
});

describe('AdamW kernel with many groups (a batched sweep: two groups per run, one clip coefficient per run)', () => {
  it('40 groups, each with its own lr, weight decay and clip coefficient, match per-group references', async () => {
    const device = await testDevice();
    const runs = 20;
    const per = 37; // elements per group: not a multiple of anything
    const n = runs * 2 * per;
    const rng = new Rng(77);
    const p0 = rng.normals(n);
    const grads = [rng.normals(n), rng.normals(n)];
    const clips = Float32Array.from({ length: runs }, (_, i) => 0.3 + i / runs);
    const groups: ParamGroupRange[] = Array.from({ length: 2 * runs }, (_, k) => ({ start: k * per, end: (k + 1) * per, clipIndex: k >> 1 }));
    const hyper = groups.map((_, k) => ({ lr: 0.001 * (k + 1), weightDecay: k % 3 === 0 ? 0.01 : 0 }));
    const bufs = {
      params: uploadF32(device, 'p', p0),
      grads: uploadF32(device, 'g', grads[0]),
      m: uploadF32(device, 'm', new Float32Array(n)),
      v: uploadF32(device, 'v', new Float32Array(n)),
      clipCoef: uploadF32(device, 'clips', clips),
    };
    const opt = createAdamW(device, n, groups, bufs, CFG);
    const state = ref.adamwInit(p0);
    for (let t = 1; t <= 2; t++) {
      device.queue.writeBuffer(bufs.grads, 0, grads[t - 1]);
      opt.setStep(t, hyper);
      await withErrorScope(device, () => runDispatches(device, [opt.dispatch]));
      groups.forEach((g, k) => ref.adamwStep(state, grads[t - 1], t, [g], [hyper[k]], CFG, clips[g.clipIndex!]));
    }
    assertClose(await readF32(device, bufs.params as GPUBuffer, n), state.p, TOL, 'params');
  });
});
