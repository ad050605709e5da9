import { describe, expect, it } from 'vitest';
import { matmulRef } from './matmul';
import { goldenMatmul } from '../test/golden';
import { assertClose } from '../test/compare';

const TIGHT = { atol: 1e-12, rtol: 1e-10 };

describe('matmul reference', () => {
  it.each(goldenMatmul.cases.map((c) => [`${c.M}x${c.K}x${c.N}${c.transA ? ' tA' : ''}${c.transB ? ' tB' : ''}`, c] as const))(
    'matches the PyTorch golden case %s (MxKxN)',
    (_, c) => {
      // The stored shapes say which layout each operand is in: A (K,M) when transposed, B (N,K) when transposed.
      expect(c.A.shape).toEqual(c.transA ? [c.K, c.M] : [c.M, c.K]);
      expect(c.B.shape).toEqual(c.transB ? [c.N, c.K] : [c.K, c.N]);
      assertClose(matmulRef(c, c.A.data, c.B.data), c.C.data, TIGHT, 'C');
    },
  );

  it('covers every golden case (all transpose combinations)', () => {
    expect(goldenMatmul.cases.length).toBe(23);
    const combos = new Set(goldenMatmul.cases.map((c) => `${c.transA}${c.transB}`));
    expect(combos.size).toBe(4);
  });

  it('applies alpha, then the bias on every row, then adds the accumulated matrix', () => {
    // A (2,2) = [[1,2],[3,4]], B (2,1) = [[5],[6]]: A B = [[17],[39]]
    const c = matmulRef({ M: 2, N: 1, K: 2 }, [1, 2, 3, 4], [5, 6], { alpha: 0.5, bias: [10], accumulate: [100, 200] });
    assertClose(c, [0.5 * 17 + 10 + 100, 0.5 * 39 + 10 + 200], TIGHT, 'alpha/bias/accumulate');
  });
});
