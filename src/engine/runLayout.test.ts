import { describe, expect, it } from 'vitest';
import { EVAL_BUFFER_BUDGET, evalChunkRows } from './runLayout';

describe('evalChunkRows', () => {
  it('takes the whole eval set when R runs of the widest layer fit the budget', () => {
    // 16 runs x 512 rows x 64 floats x 4 bytes = 2 MiB
    expect(evalChunkRows(64, 512, 16, 64)).toBe(512);
  });

  it('takes the most rows that fit, and never fewer than the batch', () => {
    const fit = Math.floor(EVAL_BUFFER_BUDGET / (64 * 128 * 4)); // 256
    expect(evalChunkRows(64, 512, 64, 128)).toBe(fit);
    expect(evalChunkRows(64, 8192, 64, 1024)).toBe(64);
    expect(evalChunkRows(64, 20, 64, 1024)).toBe(20); // eval set shorter than the batch
    expect(evalChunkRows(8, 20, 2, 24, 2 * 12 * 24 * 4)).toBe(12);
  });
});
