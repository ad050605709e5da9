import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { numericGrad, projectionWeights } from '../test/finiteDiff';
import { attentionBackward, attentionForward, type AttentionShape } from './attention';

describe('attention reference', () => {
  const s: AttentionShape = { rows: 6, seq: 3, heads: 4, kvHeads: 2, headDim: 2 };
  const rng = new Rng(4);
  const q = rng.normals(6 * 4 * 2);
  const k = rng.normals(6 * 2 * 2);
  const v = rng.normals(6 * 2 * 2);

  it('is causal within each sequence: the first token of a sequence returns its own value', () => {
    const { o } = attentionForward(s, q, k, v);
    // token 3 starts the second sequence; query head 1 reads kv head 0
    expect(o[(3 * 4 + 1) * 2]).toBeCloseTo(v[(3 * 2 + 0) * 2], 12);
    expect(o[(3 * 4 + 3) * 2 + 1]).toBeCloseTo(v[(3 * 2 + 1) * 2 + 1], 12);
  });

  it('backward matches finite differences in q, k and v (grouped heads)', () => {
    const p = projectionWeights(q.length, 3);
    const loss = (qq: ArrayLike<number>, kk: ArrayLike<number>, vv: ArrayLike<number>) => attentionForward(s, qq, kk, vv).o.reduce((a, x, i) => a + x * p[i], 0);
    const { o, lse } = attentionForward(s, q, k, v);
    const g = attentionBackward(s, q, k, v, o, lse, p);
    const close = (got: Float64Array, want: Float64Array) => got.forEach((x, i) => expect(x).toBeCloseTo(want[i], 6));
    close(g.dq, numericGrad((x) => loss(x, k, v), q));
    close(g.dk, numericGrad((x) => loss(q, x, v), k));
    close(g.dv, numericGrad((x) => loss(q, k, x), v));
  });
});
