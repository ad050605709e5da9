import { describe, expect, it } from 'vitest';
import { bitsPerByte, lossView } from './bits';

describe('loss units', () => {
  it('bits per byte are nats / ln 2: a uniform byte (ln 256 nats) is 8 bits', () => {
    expect(bitsPerByte(Math.log(256))).toBeCloseTo(8, 12);
    expect(bitsPerByte(Math.LN2)).toBe(1);
    expect(bitsPerByte(NaN)).toBeNaN();
  });

  it('the language model shows bits per byte, the toy its loss as logged', () => {
    expect(lossView('lm')).toMatchObject({ unit: 'bits/byte', suffix: ' (bits/byte)' });
    expect(lossView('lm').of(2 * Math.LN2)).toBe(2);
    expect(lossView('toy')).toMatchObject({ unit: '', suffix: '' });
    expect(lossView('toy').of(0.37)).toBe(0.37);
  });
});
