import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, FIELDS, fieldOf, type RunConfig } from '../config/schema';
import { commitField, formatLog2Value, log2Steps, parseNumberText, rangeText, unusedBecause } from './fields';

const cfg = (over: Partial<RunConfig> = {}): RunConfig => ({ ...DEFAULT_CONFIG, ...over });

describe('commitField', () => {
  it('accepts a valid value and leaves the rest alone', () => {
    const c = commitField(cfg(), 'steps', 60);
    expect(c).toEqual({ ok: true, config: cfg({ steps: 60 }), notices: [] });
  });

  it('refuses an invalid value with a message naming the field and its range', () => {
    expect(commitField(cfg(), 'width', 8)).toEqual({ ok: false, error: 'width must be an integer in 16..1024 (got 8)' });
    expect(commitField(cfg(), 'beta1', 'abc')).toEqual({ ok: false, error: 'beta1 must be a number in 0..0.9999 (got "abc")' });
    expect(commitField(cfg({ width: 32 }), 'r', 64)).toEqual({ ok: false, error: 'r must be an integer in 1..32 (got 64)' });
    expect(commitField(cfg(), 'targets', [])).toMatchObject({ ok: false, error: expect.stringMatching(/^targets must be a non-empty list .* 1\.\.2/) });
  });

  it('clamps fields that depend on the changed one, with a notice', () => {
    const c = commitField(cfg({ r: 64 }), 'width', 16);
    expect(c.ok && c.config.r).toBe(16);
    expect(c.ok && c.notices).toEqual([expect.stringMatching(/^r: 64 out of range 1\.\.16, clamped to 16/)]);
    const t = commitField(cfg({ layers: 3, targets: [1, 3] }), 'layers', 2);
    expect(t.ok && t.config.targets).toEqual([1]);
    expect(t.ok && t.notices).toEqual([expect.stringMatching(/^targets:/)]);
  });

  it('keeps "all layers" as all layers when L changes', () => {
    const c = commitField(cfg(), 'layers', 4);
    expect(c.ok && c.config.targets).toEqual([1, 2, 3, 4]);
    const d = commitField(cfg({ layers: 4, targets: [1, 2, 3, 4] }), 'layers', 1);
    expect(d).toEqual({ ok: true, config: cfg({ layers: 1, targets: [1] }), notices: [] });
  });

  it('never throws, whatever the control hands it', () => {
    for (const f of FIELDS) for (const raw of [undefined, null, NaN, -1e300, 'x', [], {}, true]) expect(() => commitField(cfg(), f.key, raw)).not.toThrow();
  });
});

describe('display helpers', () => {
  it('parses number text or keeps the text for the message', () => {
    expect(parseNumberText(' 12 ')).toBe(12);
    expect(parseNumberText('1e-8')).toBe(1e-8);
    expect(parseNumberText('')).toBe('');
    expect(parseNumberText('abc')).toBe('abc');
  });

  it('learning rate: half steps 2^-20..2^4, shown as "2^-7 = 7.8e-3"', () => {
    expect(log2Steps(fieldOf('lr')!)).toEqual({ min: -20, max: 4, step: 0.5 });
    expect(log2Steps(fieldOf('lora_alpha')!)).toEqual({ min: -6.5, max: 12, step: 0.5 });
    expect(formatLog2Value(2 ** -7)).toBe('2^-7 = 7.8e-3');
    expect(formatLog2Value(16)).toBe('2^4 = 1.6e1');
    expect(formatLog2Value(2 ** -6.5)).toBe('2^-6.5 = 1.1e-2');
    expect(formatLog2Value(0.01)).toBe('2^-6.64 = 1.0e-2');
  });

  it('ranges follow the other fields', () => {
    expect(rangeText(fieldOf('r')!, cfg({ width: 32 }))).toBe('1..32');
    expect(rangeText(fieldOf('r')!, cfg({ width: 1024 }))).toBe('1..256');
    expect(rangeText(fieldOf('lr')!, cfg())).toBe('2^-20..2^4');
    expect(rangeText(fieldOf('targets')!, cfg({ layers: 3 }))).toBe('layers 1..3');
    expect(rangeText(fieldOf('activation')!, cfg())).toBe('');
  });

  it('marks settings the other settings make unused', () => {
    expect(unusedBecause('r', cfg({ mode: 'fft' }))).toMatch(/full fine-tuning/);
    expect(unusedBecause('r', cfg())).toBeNull();
    expect(unusedBecause('momentum', cfg())).toMatch(/SGD/);
    expect(unusedBecause('beta1', cfg({ optimizer: 'sgd' }))).toMatch(/AdamW/);
  });
});
