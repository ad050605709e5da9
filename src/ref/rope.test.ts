import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { numericGrad, projectionWeights } from '../test/finiteDiff';
import { ropeApply, ropeTable } from './rope';

describe('rope reference', () => {
  const table = ropeTable(5, 6, 10000);
  it('position 0 is the identity; rows restart at position 0 every context', () => {
    const x = new Rng(2).normals(7 * 2 * 6);
    const y = ropeApply(x, 7, 2, 6, 5, table);
    expect([...y.subarray(0, 12)]).toEqual([...x.subarray(0, 12)]);
    expect([...y.subarray(5 * 12, 6 * 12)]).toEqual([...x.subarray(5 * 12, 6 * 12)]);
    expect([...y.subarray(12, 24)]).not.toEqual([...x.subarray(12, 24)]);
  });

  it('sign -1 undoes sign +1, and is the gradient (finite differences)', () => {
    const x = new Rng(3).normals(4 * 6);
    const back = ropeApply(ropeApply(x, 4, 1, 6, 5, table), 4, 1, 6, 5, table, -1);
    back.forEach((v, i) => expect(v).toBeCloseTo(x[i], 6));
    const p = projectionWeights(4 * 6);
    const want = numericGrad((xx) => ropeApply(xx, 4, 1, 6, 5, table).reduce((a, v, i) => a + v * p[i], 0), x);
    ropeApply(p, 4, 1, 6, 5, table, -1).forEach((g, i) => expect(g).toBeCloseTo(want[i], 6));
  });
});
