import { describe, expect, it } from 'vitest';
import { argmaxRows } from './argmax';
import * as ref from '../../ref/argmax';
import { createStorageBuffer, readU32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { Rng } from '../../rng';

describe('argmax kernel on WebGPU', () => {
  it.each([
    [1, 1],
    [3, 17],
    [65, 10],
    [129, 3],
  ])('rows=%i cols=%i matches the reference, ties included', async (rows, cols) => {
    const device = await testDevice();
    const rng = new Rng(rows * 31 + cols);
    // round to a coarse grid so ties happen
    const x = rng.normals(rows * cols).map((v) => Math.round(v * 2) / 2);
    const labels = createStorageBuffer(device, 'labels', rows * 4);
    await withErrorScope(device, () => runDispatches(device, [argmaxRows(device, rows, cols, uploadF32(device, 'x', x), labels)]));
    expect([...(await readU32(device, labels, rows))]).toEqual([...ref.argmaxRows(x, rows, cols)]);
  });
});
