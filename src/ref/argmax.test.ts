import { describe, expect, it } from 'vitest';
import { argmaxRows } from './argmax';

describe('argmax reference', () => {
  it('picks the largest entry per row, the first one on ties', () => {
    expect([...argmaxRows([1, 3, 2, 5, 5, -1, -2, -3, -1], 3, 3)]).toEqual([1, 0, 2]);
  });
});
