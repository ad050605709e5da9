import { describe, expect, it } from 'vitest';
import {
  alphaEff, changedFields, clampConfig, DEFAULT_CONFIG, fieldBounds, fieldOf, FIELDS, resetKind, scalingFactor,
  validateConfig, type Field, type RunConfig,
} from './schema';
import { Rng } from '../rng';

/** A random value for a field: mostly valid, sometimes out of range or of the wrong type. */
function randomValue(f: Field, rng: Rng): unknown {
  const u = rng.uniform();
  if (u < 0.1) return ['abc', null, -1e9, 1e9, NaN, [], {}, true][Math.floor(rng.uniform() * 8)];
  if (f.type === 'enum') return f.options![Math.floor(rng.uniform() * f.options!.length)];
  if (f.type === 'bool') return rng.uniform() < 0.5;
  if (f.type === 'intList') return [1 + Math.floor(rng.uniform() * 6), 1 + Math.floor(rng.uniform() * 6)];
  const lo = f.min!, hi = Math.min(f.max!, 1e6);
  const x = f.log2 ? 2 ** (Math.log2(lo) + rng.uniform() * (Math.log2(hi) - Math.log2(lo))) : lo + rng.uniform() * (hi - lo);
  return f.type === 'int' ? Math.round(x) : x;
}

describe('the field table', () => {
  it('has one field per config key, unique, in groups, with help and valid defaults', () => {
    expect(FIELDS.map((f) => f.key).sort()).toEqual(Object.keys(DEFAULT_CONFIG).sort());
    expect(new Set(FIELDS.map((f) => f.key)).size).toBe(FIELDS.length);
    for (const f of FIELDS) {
      expect(['Task', 'Adapter', 'Optimizer', 'Run']).toContain(f.group);
      expect(f.help.length).toBeGreaterThan(10);
      expect(f.label.length).toBeGreaterThan(0);
      expect(f.default).toEqual(DEFAULT_CONFIG[f.key]);
      if (f.type === 'enum') expect(f.options).toContain(f.default);
      if (f.type === 'int' || f.type === 'float') {
        expect(f.min).toBeLessThanOrEqual(f.default as number);
        expect(f.max).toBeGreaterThanOrEqual(f.default as number);
      }
      if (f.log2) expect(f.min).toBeGreaterThan(0);
    }
    expect(validateConfig(DEFAULT_CONFIG)).toEqual({ config: DEFAULT_CONFIG, errors: [] });
  });

  it('groups appear in order Task, Adapter, Optimizer, Run', () => {
    const groups = FIELDS.map((f) => f.group).filter((g, i, a) => i === 0 || a[i - 1] !== g);
    expect(groups).toEqual(['Task', 'Adapter', 'Optimizer', 'Run']);
  });

  it('cross-field bounds: r <= min(n, 256), trueRank <= n, targets within 1..L', () => {
    expect(fieldBounds('r', { width: 64, layers: 2 })).toEqual({ min: 1, max: 64 });
    expect(fieldBounds('r', { width: 1024, layers: 2 })).toEqual({ min: 1, max: 256 });
    expect(fieldBounds('trueRank', { width: 512, layers: 2 })).toEqual({ min: 1, max: 512 });
    expect(fieldBounds('targets', { width: 64, layers: 3 })).toEqual({ min: 1, max: 3 });
    expect(fieldOf('lr')?.log2).toBe(true);
    expect(fieldOf('nope')).toBeUndefined();
  });
});

describe('validateConfig (strict)', () => {
  it('fills missing fields with defaults; targets default to all layers', () => {
    expect(validateConfig({})).toEqual({ config: DEFAULT_CONFIG, errors: [] });
    const { config, errors } = validateConfig({ layers: 4, r: 16 });
    expect(errors).toEqual([]);
    expect(config.targets).toEqual([1, 2, 3, 4]);
    expect(config.r).toBe(16);
  });

  it.each([
    [{ r: -3 }, 'r must be an integer in 1..128 (got -3)'],
    [{ r: 200 }, 'r must be an integer in 1..128 (got 200)'],
    [{ width: 64, r: 65 }, 'r must be an integer in 1..64 (got 65)'],
    [{ width: 1024, r: 300 }, 'r must be an integer in 1..256 (got 300)'],
    [{ r: 2.5 }, 'r must be an integer in 1..128 (got 2.5)'],
    [{ r: '8' }, 'r must be an integer in 1..128 (got "8")'],
    [{ trueRank: 200 }, 'trueRank must be an integer in 1..128 (got 200)'],
    [{ lr: 100 }, 'lr must be a number in 2^-20..2^4 (got 100)'],
    [{ lr: NaN }, 'lr must be a number in 2^-20..2^4 (got NaN)'],
    [{ shift: 0 }, 'shift must be a number in 0.05..2 (got 0)'],
    [{ init: 'xavier' }, 'init must be one of initA, initB, peft, gaussian (got "xavier")'],
    [{ targets: [3] }, 'targets must be a non-empty list of distinct integers in 1..2 (got [3])'],
    [{ targets: [] }, 'targets must be a non-empty list of distinct integers in 1..2 (got [])'],
    [{ targets: [1, 1] }, 'targets must be a non-empty list of distinct integers in 1..2 (got [1,1])'],
    [{ seed: -1 }, 'seed must be an integer in 0..4294967295 (got -1)'],
    [{ rank: 8 }, 'unknown field "rank"'],
  ])('%j -> %s', (partial, message) => {
    const { config, errors } = validateConfig(partial);
    expect(errors).toEqual([message]);
    expect(validateConfig(config).errors).toEqual([]); // the returned config is always valid
  });

  it('rejects a non-object and reports every bad field at once', () => {
    expect(validateConfig(null).errors).toEqual(['config must be an object of fields (got null)']);
    expect(validateConfig([1]).errors).toHaveLength(1);
    expect(validateConfig({ r: 0, lr: -1, foo: 1 }).errors).toHaveLength(3);
  });
});

describe('clampConfig (lenient, for links)', () => {
  const one = (partial: Record<string, unknown>) => {
    const { config, notices } = clampConfig(partial);
    expect(validateConfig(config).errors).toEqual([]);
    return { config, notices };
  };

  it('clamps out-of-range numbers with a notice naming the field', () => {
    const { config, notices } = one({ r: -3, lr: 1e9 });
    expect(config.r).toBe(1);
    expect(config.lr).toBe(16);
    expect(notices).toEqual(['r: -3 out of range 1..128, clamped to 1', 'lr: 1000000000 out of range 2^-20..2^4, clamped to 16']);
  });

  it('parses numeric strings, rounds integers, replaces garbage by the default', () => {
    expect(one({ r: '16', lr: '0.001' })).toEqual({ config: { ...DEFAULT_CONFIG, r: 16, lr: 0.001 }, notices: [] });
    const { config, notices } = one({ r: '2.6', width: 'abc', init: 'foo', activation: '' });
    expect(config).toMatchObject({ r: 3, width: 128, init: 'initA', activation: 'gelu_tanh' });
    expect(notices.map((n) => n.split(':')[0])).toEqual(['width', 'activation', 'r', 'init']);
    expect(notices[0]).toBe('width: "abc" is not a number; using the default 128');
  });

  it('clamps dependent fields after the fields they depend on', () => {
    const { config, notices } = one({ width: 32, r: 64, trueRank: 40, layers: 1, targets: '1,2' });
    expect(config).toMatchObject({ width: 32, r: 32, trueRank: 32, layers: 1, targets: [1] });
    expect(notices.map((n) => n.split(':')[0]).sort()).toEqual(['r', 'targets', 'trueRank']);
  });

  it('ignores unknown keys and non-objects with a notice', () => {
    expect(one({ foo: '1' }).notices).toEqual(['unknown setting "foo" ignored']);
    expect(clampConfig('x')).toEqual({ config: DEFAULT_CONFIG, notices: ['settings ignored: not an object'] });
  });

  it('always yields a valid config, whatever it is given (300 random partial configs)', () => {
    const rng = Rng.stream(3, 'fuzz');
    for (let trial = 0; trial < 300; trial++) {
      const partial: Record<string, unknown> = {};
      for (const f of FIELDS) if (rng.uniform() < 0.4) partial[f.key] = randomValue(f, rng);
      const { config, notices } = clampConfig(partial);
      expect(validateConfig(config).errors).toEqual([]);
      for (const n of notices) expect(FIELDS.some((f) => n.startsWith(`${f.key}: `))).toBe(true);
    }
  });
});

describe('derived values', () => {
  it('scalingFactor and alphaEff', () => {
    expect(scalingFactor(DEFAULT_CONFIG)).toBe(1);
    expect(alphaEff(DEFAULT_CONFIG)).toBe(1);
    expect(scalingFactor({ lora_alpha: 16, r: 4, scaling: 'standard' })).toBe(4);
    expect(scalingFactor({ lora_alpha: 16, r: 4, scaling: 'rslora' })).toBe(8);
    expect(alphaEff({ lora_alpha: 16, r: 4 })).toBe(4);
  });

  it('resetKind: live fields apply mid-run, anything else resets', () => {
    const d: RunConfig = DEFAULT_CONFIG;
    expect(resetKind(d, { ...d })).toBe('none');
    expect(resetKind(d, { ...d, targets: [1, 2] })).toBe('none');
    expect(resetKind(d, { ...d, lr: 0.1 })).toBe('live');
    expect(resetKind(d, { ...d, lr: 0.1, schedule: 'constant', warmup: 0, minLrRatio: 0.5, clip: 0 })).toBe('live');
    for (const key of ['r', 'init', 'width', 'trueRank', 'seed', 'mode', 'optimizer', 'batch', 'lora_alpha'] as const) {
      const f = fieldOf(key)!;
      const other = f.type === 'enum' ? f.options!.find((o) => o !== f.default) : (f.default as number) + 1;
      expect(resetKind(d, { ...d, [key]: other, lr: 0.1 })).toBe('reset');
    }
    expect(resetKind(d, { ...d, targets: [1] })).toBe('reset');
    expect(changedFields(d, { ...d, lr: 0.1, r: 4 })).toEqual(['r', 'lr']);
  });
});
