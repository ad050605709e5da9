import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/schema';
import { linkQuery, urlFor } from './urlSync';

describe('URL sync helpers', () => {
  it('reads the hash, else the query string', () => {
    expect(linkQuery({ hash: '#r=4', search: '?r=9' })).toBe('r=4');
    expect(linkQuery({ hash: '', search: '?r=9' })).toBe('r=9');
    expect(linkQuery({ hash: '#', search: '' })).toBe('');
  });

  it('writes only the non-default settings after #, and nothing for the defaults', () => {
    expect(urlFor(DEFAULT_CONFIG, '/lab/')).toBe('/lab/');
    expect(urlFor({ ...DEFAULT_CONFIG, r: 4, seed: 7 }, '/')).toBe('/#r=4&seed=7');
  });
});
