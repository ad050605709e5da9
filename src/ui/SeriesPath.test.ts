import { describe, expect, it } from 'vitest';
import { pathData } from './SeriesPath';

describe('pathData', () => {
  it('draws the points in order, one decimal', () => {
    expect(pathData([0, 10.04, 20], [5, 6, 7.25])).toBe('M0.0,5.0L10.0,6.0L20.0,7.3');
  });
  it('breaks the line at a non-finite pixel (a log axis at zero, a NaN loss) and starts again after it', () => {
    expect(pathData([0, 1, 2, 3], [1, NaN, 2, 3])).toBe('M0.0,1.0M2.0,2.0L3.0,3.0');
    expect(pathData([0, Infinity, 2], [1, 1, 1])).toBe('M0.0,1.0M2.0,1.0');
  });
  it('gives nothing for no points', () => {
    expect(pathData([], [])).toBe('');
  });
});
