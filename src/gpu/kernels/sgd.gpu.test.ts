import { describe, expect, it } from 'vitest';
import { createSgd, type OptimizerTiling, type ParamGroupRange } from './sgd';
import * as ref from '../../ref/sgd';
import { readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { goldenOptimizers as G } from '../../test/golden';
import { Rng } from '../../rng';

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

async function setup(p0: Float32Array, clip: number, momentumInit = 0) {
  const device = await testDevice();
  const n = p0.length;
  const bufs = {
    params: uploadF32(device, 'p', p0),
    grads: uploadF32(device, 'g', new Float32Array(n)),
    momentum: uploadF32(device, 'mom', new Float32Array(n).fill(momentumInit)),
    clipCoef: uploadF32(device, 'clip', [clip]),
  };
  return { device, bufs };
}

describe('SGD momentum kernel on WebGPU', () => {
  it('passes the PyTorch golden trajectory', async () => {
    const n = G.p0.length;
    const { device, bufs } = await setup(Float32Array.from(G.p0), 1);
    const opt = createSgd(device, n, [{ start: 0, end: n }], bufs, { momentum: 0.9 });
    for (const [step, lr] of G.lrs.entries()) {
      device.queue.writeBuffer(bufs.grads, 0, Float32Array.from(G.grads[step]));
      opt.setStep(step + 1, [{ lr, weightDecay: 0 }]);
      await withErrorScope(device, () => runDispatches(device, [opt.dispatch]));
      assertClose(await readF32(device, bufs.params, n), G.sgd_momentum.params_after_each_step[step], TOL, `sgd step ${step + 1}`);
    }
  });

  async function checkAgainstRef(n: number, tiling?: OptimizerTiling, lanes: 1 | 4 = 1) {
    const rng = new Rng(n + 1);
    const p0 = rng.normals(n);
    // a stale momentum buffer: step 1 must ignore it, as PyTorch starts from buf = g
    const { device, bufs } = await setup(p0, 0.7, 5);
    const { groups, gap } = awkwardGroups(n, lanes);
    const opt = createSgd(device, n, groups, bufs, { momentum: 0.9 }, tiling);
    const s = ref.sgdInit(p0);
    for (let t = 1; t <= 3; t++) {
      const hyper = [{ lr: 0.01 * t, weightDecay: 0.1 }, { lr: 0.003, weightDecay: 0 }, { lr: 0.05, weightDecay: 0.02 }];
      const g = rng.normals(n, 2);
      device.queue.writeBuffer(bufs.grads, 0, g);
      opt.setStep(t, hyper);
      await withErrorScope(device, () => runDispatches(device, [opt.dispatch]));
      ref.sgdStep(s, g, t, groups, hyper, 0.9, 0.7);
    }
    const what = `n=${n} tiling=${JSON.stringify(tiling ?? 'default')} lanes=${lanes}`;
    expect(opt.lanes, what).toBe(lanes);
    const p = await readF32(device, bufs.params, n);
    assertClose(p, s.p, TOL, `p ${what}`);
    const mom = await readF32(device, bufs.momentum, n);
    for (let i = gap[0]; i < gap[1]; i++) {
      expect(p[i]).toBe(p0[i]);
      expect(mom[i]).toBe(5);
    }
    for (const grp of groups) assertClose(mom.subarray(grp.start, grp.end), s.buf.subarray(grp.start, grp.end), TOL, `buf ${what}`);
  }

  it.each([undefined, { wg: 64, items: 3 }])(
    'matches the reference on awkward sizes with 3 groups, a gap, weight decay and clip coefficient 0.7 (tiling %o)',
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
});
