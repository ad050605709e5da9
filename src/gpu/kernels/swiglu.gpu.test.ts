import { describe, it } from 'vitest';
import { swigluBackward, swigluForward } from './swiglu';
import * as ref from '../../ref/swiglu';
import { readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { Rng } from '../../rng';

describe('swiglu on WebGPU', () => {
  it.each([1, 255, 257, 4099])('n=%i, gates up to |g| = 100: forward and backward equal the reference', async (n) => {
    const device = await testDevice();
    const rng = new Rng(n);
    const g = rng.normals(n).map((v, i) => (i % 7 === 0 ? 100 * Math.sign(v) : 4 * v));
    const u = rng.normals(n);
    const dm = rng.normals(n);
    const [bg, bu, bdm] = [uploadF32(device, 'g', g), uploadF32(device, 'u', u), uploadF32(device, 'dm', dm)];
    const [m, dg, du] = [0, 1, 2].map((k) => uploadF32(device, `out${k}`, new Float32Array(n)));
    await withErrorScope(device, () => runDispatches(device, [swigluForward(device, n, bg, bu, m), swigluBackward(device, n, bg, bu, bdm, dg, du)]));
    const tol = { atol: 1e-5, rtol: 1e-5 };
    const want = ref.swigluBackward(g, u, dm);
    assertClose(await readF32(device, m, n), ref.swigluForward(g, u), tol, 'm');
    assertClose(await readF32(device, dg, n), want.dg, tol, 'dg');
    assertClose(await readF32(device, du, n), want.du, tol, 'du');
  });
});
