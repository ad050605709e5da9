import { describe, expect, it } from 'vitest';
import { costOf, stateFloatsPerParam } from './cost';
import { formatBytes } from '../format';
import { DEFAULT_CONFIG } from './schema';

describe('costOf', () => {
  it('counts LoRA parameters as r (n + n) per target, with FFT equivalents', () => {
    const c = costOf(DEFAULT_CONFIG); // n 128, r 8, targets [1, 2], AdamW
    expect(c.trainableParams).toBe(2 * 8 * 256);
    expect(c.adaptedParams).toBe(2 * 128 * 128);
    expect(c.percentOfAdapted).toBeCloseTo(12.5, 12);
    expect(c.adapterBytes).toBe(4096 * 4);
    expect(c.optimizerStateBytes).toBe(4096 * 2 * 4);
    expect(c.fft).toEqual({ trainableParams: 32768, bytes: 32768 * 4, optimizerStateBytes: 32768 * 8 });
    expect(c.baseParams).toBe(128 * 32 + 2 * 128 * 128 + 10 * 128);
  });

  it('full fine-tuning trains the adapted layers themselves (100%)', () => {
    const c = costOf({ ...DEFAULT_CONFIG, mode: 'fft', targets: [2] });
    expect(c.trainableParams).toBe(128 * 128);
    expect(c.percentOfAdapted).toBe(100);
    expect(c.adapterBytes).toBe(c.fft.bytes);
  });

  it('optimizer state: AdamW 2 floats, SGD 1 with momentum, none without', () => {
    expect(stateFloatsPerParam({ optimizer: 'adamw', momentum: 0 })).toBe(2);
    expect(stateFloatsPerParam({ optimizer: 'sgd', momentum: 0.9 })).toBe(1);
    expect(stateFloatsPerParam({ optimizer: 'sgd', momentum: 0 })).toBe(0);
    expect(costOf({ ...DEFAULT_CONFIG, optimizer: 'sgd' }).optimizerStateBytes).toBe(4096 * 4);
  });
});

describe('formatBytes', () => {
  it('uses binary units with three significant digits', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(16384)).toBe('16 KiB');
    expect(formatBytes(3 * 1024 * 1024 + 5000)).toBe('3 MiB');
    expect(formatBytes(123456789)).toBe('118 MiB');
  });
});
