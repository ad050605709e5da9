import { describe, it } from 'vitest';
import { broadcastAdd } from './broadcast_add';
import * as ref from '../../ref/broadcast_add';
import { readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { Rng } from '../../rng';

describe('broadcast add on WebGPU', () => {
  it.each([
    [1, 1, 1],
    [17, 3, 64],
    [257, 5, 320],
    [4096, 2, 4096],
  ])('n=%i copies=%i stride=%i; the gaps between copies stay untouched', async (n, copies, stride) => {
    const device = await testDevice();
    const rng = new Rng(n + copies);
    const dst0 = rng.normals(copies * stride);
    const src = rng.normals(n);
    const dst = uploadF32(device, 'dst', dst0);
    await withErrorScope(device, () => runDispatches(device, [broadcastAdd(device, n, copies, stride, uploadF32(device, 'src', src), dst)]));
    assertClose(await readF32(device, dst, copies * stride), ref.broadcastAdd(dst0, src, n, copies, stride), { atol: 1e-6, rtol: 1e-6 }, 'dst');
  });
});
