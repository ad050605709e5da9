import { describe, it } from 'vitest';
import { dropoutBackwardAcc, dropoutForward } from './dropout';
import * as ref from '../../ref/dropout';
import { readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { Rng } from '../../rng';

describe('dropout kernel on WebGPU', () => {
  it.each([
    [1, 0.1],
    [17, 0.5],
    [129, 0.05],
    [4099, 0.3],
  ])('n=%i p=%f: the same mask as the reference, forward and backward', async (n, p) => {
    const device = await testDevice();
    const rng = new Rng(n);
    const x = rng.normals(n);
    const dy = rng.normals(n);
    const dx0 = rng.normals(n);
    const key = ref.dropoutKey(7, 3, 1, 2);
    const bx = uploadF32(device, 'x', x);
    const by = uploadF32(device, 'y', new Float32Array(n));
    const bdy = uploadF32(device, 'dy', dy);
    const bdx = uploadF32(device, 'dx', dx0);
    const f = dropoutForward(device, n, p, bx, by);
    const b = dropoutBackwardAcc(device, n, p, bdy, bdx);
    f.setKey(key);
    b.setKey(key);
    await withErrorScope(device, () => runDispatches(device, [f.dispatch, b.dispatch]));
    assertClose(await readF32(device, by, n), ref.dropoutForward(x, key, p), { atol: 1e-7, rtol: 1e-6 }, 'y');
    assertClose(await readF32(device, bdx, n), ref.dropoutBackwardAcc(dx0, dy, key, p), { atol: 1e-7, rtol: 1e-6 }, 'dx');
  });
});

describe('dropout with a period (a batched sweep: R copies at a stride)', () => {
  it('every copy gets the single-run mask', async () => {
    const device = await testDevice();
    const n = 77;
    const stride = 128;
    const R = 3;
    const x = new Float32Array(R * stride).fill(1);
    const by = uploadF32(device, 'y', new Float32Array(R * stride));
    const f = dropoutForward(device, R * stride, 0.4, uploadF32(device, 'x', x), by, stride);
    const key = ref.dropoutKey(3, 1, 0, 1);
    f.setKey(key);
    runDispatches(device, [f.dispatch]);
    const y = await readF32(device, by, R * stride);
    const one = ref.dropoutForward(new Float32Array(n).fill(1), key, 0.4);
    for (let i = 0; i < R; i++) assertClose(y.subarray(i * stride, i * stride + n), one, { atol: 1e-7, rtol: 1e-6 }, `copy ${i}`);
  });
});
