import { describe, it } from 'vitest';
import { ropeInPlace } from './rope';
import * as ref from '../../ref/rope';
import { readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { Rng } from '../../rng';

describe('rope on WebGPU', () => {
  // head dim 2 (one pair), odd head counts, several sequences, a context longer than the rows
  it.each([
    [1, 1, 2, 1],
    [7, 3, 6, 4],
    [20, 2, 32, 128],
    [300, 4, 16, 100],
  ])('rows %i, heads %i, d %i, context %i: forward and backward equal the reference', async (rows, heads, headDim, context) => {
    const device = await testDevice();
    const x = new Rng(rows + heads + headDim).normals(rows * heads * headDim);
    const table = ref.ropeTable(context, headDim, 10000);
    const cos = uploadF32(device, 'cos', table.cos);
    const sin = uploadF32(device, 'sin', table.sin);
    const s = { rows, heads, headDim, context };
    const fwd = uploadF32(device, 'x', x);
    const bwd = uploadF32(device, 'dy', x);
    await withErrorScope(device, () => runDispatches(device, [ropeInPlace(device, s, fwd, cos, sin, 'forward'), ropeInPlace(device, s, bwd, cos, sin, 'backward')]));
    const n = rows * heads * headDim;
    assertClose(await readF32(device, fwd, n), ref.ropeApply(x, rows, heads, headDim, context, table), { atol: 1e-6, rtol: 1e-5 }, 'forward');
    assertClose(await readF32(device, bwd, n), ref.ropeApply(x, rows, heads, headDim, context, table, -1), { atol: 1e-6, rtol: 1e-5 }, 'backward');
  });
});
