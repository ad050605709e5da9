/** The matmul's batch dimension (a sweep's runs in one dispatch) against per-batch CPU references. */
import { describe, it } from 'vitest';
import { matmul, type MatmulShape } from './matmul';
import { matmulRef } from '../../ref/matmul';
import { readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { Rng } from '../../rng';

const size = (s: MatmulShape, which: 'A' | 'B' | 'C') => (which === 'A' ? s.M * s.K : which === 'B' ? s.K * s.N : s.M * s.N);

describe('batched matmul on WebGPU', () => {
  it.each([
    [{ M: 17, N: 3, K: 65 }, false, false, true, true],
    [{ M: 64, N: 7, K: 1, transB: true }, true, false, false, false],
    [{ M: 3, N: 129, K: 17, transA: true }, false, true, true, true],
    [{ M: 65, N: 63, K: 9, transA: true, transB: true }, false, false, true, false],
  ] as const)('%j sharedA=%s sharedB=%s alphas=%s accumulate=%s', async (shape, sharedA, sharedB, withAlphas, accumulate) => {
    const device = await testDevice();
    const R = 5;
    const rng = new Rng(shape.M * 100 + shape.N);
    // strides with gaps, and offsets that are not 256-byte aligned
    const sA = sharedA ? 0 : size(shape, 'A') + 3;
    const sB = sharedB ? 0 : size(shape, 'B') + 5;
    const sC = size(shape, 'C') + 7;
    const [oA, oB, oC] = [2, 11, 5];
    const A = rng.normals(oA + (R - 1) * sA + size(shape, 'A'));
    const B = rng.normals(oB + (R - 1) * sB + size(shape, 'B'));
    const C0 = rng.normals(oC + (R - 1) * sC + size(shape, 'C'));
    const alphas = Float32Array.from({ length: R }, (_, i) => 0.5 + i);
    const bc = uploadF32(device, 'C', C0);
    const d = matmul(device, shape, uploadF32(device, 'A', A), uploadF32(device, 'B', B), bc, {
      alpha: 1.5,
      accumulate,
      batch: { count: R, strideA: sA, strideB: sB, strideC: sC, offsetA: oA, offsetB: oB, offsetC: oC, alphas: withAlphas ? uploadF32(device, 'alphas', alphas) : undefined },
    });
    await withErrorScope(device, () => runDispatches(device, [d]));
    const got = await readF32(device, bc, C0.length);
    for (let b = 0; b < R; b++) {
      const a = A.subarray(oA + b * sA, oA + b * sA + size(shape, 'A'));
      const bb = B.subarray(oB + b * sB, oB + b * sB + size(shape, 'B'));
      const c0 = C0.subarray(oC + b * sC, oC + b * sC + size(shape, 'C'));
      const want = matmulRef(shape, a, bb, { alpha: 1.5 * (withAlphas ? alphas[b] : 1), accumulate: accumulate ? c0 : undefined });
      assertClose(got.subarray(oC + b * sC, oC + b * sC + size(shape, 'C')), want, { atol: 1e-5 * Math.sqrt(shape.K), rtol: 1e-4 }, `batch ${b}`);
    }
    // the gaps between batches' outputs are untouched
    for (let b = 0; b < R - 1; b++) {
      const gap = oC + b * sC + size(shape, 'C');
      assertClose(got.subarray(gap, gap + 7), C0.subarray(gap, gap + 7), { atol: 0, rtol: 0 }, `gap after batch ${b}`);
    }
  });
});
