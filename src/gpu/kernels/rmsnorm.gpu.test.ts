import { describe, it } from 'vitest';
import { rmsNormBackward, rmsNormForward } from './rmsnorm';
import * as ref from '../../ref/rmsnorm';
import { readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { Rng } from '../../rng';

describe('rmsnorm on WebGPU', () => {
  // dim 1, dims below / not a multiple of the 64 threads, above them; rows 1 and many
  it.each([
    [1, 1],
    [5, 3],
    [7, 63],
    [3, 130],
    [200, 16],
  ])('rows %i, dim %i: forward and backward equal the reference', async (rows, dim) => {
    const device = await testDevice();
    const rng = new Rng(rows * 13 + dim);
    const x = rng.normals(rows * dim);
    const w = rng.normals(dim);
    const dy = rng.normals(rows * dim);
    const eps = 1e-5;
    const bx = uploadF32(device, 'x', x);
    const bw = uploadF32(device, 'w', w);
    const bdy = uploadF32(device, 'dy', dy);
    const y = uploadF32(device, 'y', new Float32Array(rows * dim));
    const dx = uploadF32(device, 'dx', new Float32Array(rows * dim));
    await withErrorScope(device, () => runDispatches(device, [rmsNormForward(device, rows, dim, eps, bx, bw, y), rmsNormBackward(device, rows, dim, eps, bx, bw, bdy, dx)]));
    assertClose(await readF32(device, y, rows * dim), ref.rmsNormForward(x, rows, dim, w, eps), { atol: 1e-5, rtol: 1e-4 }, 'y');
    assertClose(await readF32(device, dx, rows * dim), ref.rmsNormBackward(x, dy, rows, dim, w, eps), { atol: 1e-5, rtol: 1e-4 }, 'dx');
  });
});
