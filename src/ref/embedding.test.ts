import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import * as ref from './embedding';

describe('embedding reference', () => {
  it('is the gradient of the lookup: finite differences of a random linear loss', () => {
    const rng = new Rng(4);
    const [vocab, dim] = [5, 3];
    const tokens = [1, 4, 1, 0, 2, 1];
    const E = Array.from(rng.normals(vocab * dim));
    const w = Array.from(rng.normals(tokens.length * dim));
    const loss = (e: number[]) => ref.embeddingForward(e, dim, tokens).reduce((a, x, i) => a + w[i] * x, 0);
    const g = ref.embeddingBackward(w, dim, tokens, vocab);
    for (let k = 0; k < vocab * dim; k++) {
      const h = 1e-6;
      const up = E.slice();
      up[k] += h;
      const dn = E.slice();
      dn[k] -= h;
      expect(Math.abs((loss(up) - loss(dn)) / (2 * h) - g[k])).toBeLessThan(1e-6);
    }
  });
});
