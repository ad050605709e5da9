import { describe, expect, it } from 'vitest';
import { watchStep } from './watch';

describe('divergence rule', () => {
  it('records the first bad step and keeps it', () => {
    expect(watchStep(0, [1, 2], 3, 0, 5, 1e6)).toBe(0);
    expect(watchStep(0, [1, NaN], 3, 0, 5, 1e6)).toBe(5);
    expect(watchStep(0, [1e7], 3, 0, 6, 1e6)).toBe(6);
    expect(watchStep(0, [1], Infinity, 0, 7, 1e6)).toBe(7);
    expect(watchStep(0, [1], 1, 2, 8, 1e6)).toBe(8);
    expect(watchStep(5, [NaN], 1, 0, 9, 1e6)).toBe(5);
  });
});
