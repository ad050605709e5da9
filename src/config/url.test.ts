import { describe, expect, it } from 'vitest';
import { configToQuery, queryToConfig } from './url';
import { DEFAULT_CONFIG, FIELDS, validateConfig, type RunConfig } from './schema';
import { Rng } from '../rng';

const cfg = (over: Partial<RunConfig>): RunConfig => {
  const { config, errors } = validateConfig(over);
  expect(errors).toEqual([]);
  return config;
};

/** A random valid config: every field drawn within its (cross-field) range. */
function randomConfig(rng: Rng): RunConfig {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng.uniform() * xs.length)];
  const partial: Record<string, unknown> = {};
  for (const f of FIELDS) {
    if (rng.uniform() < 0.5) continue;
    if (f.type === 'enum') partial[f.key] = pick(f.options!);
    else if (f.type === 'int') partial[f.key] = f.min! + Math.floor(rng.uniform() * (Math.min(f.max!, 16) - f.min! + 1));
    else if (f.type === 'float') partial[f.key] = f.log2 ? 2 ** (Math.log2(f.min!) + rng.uniform() * Math.log2(f.max! / f.min!)) : f.min! + rng.uniform() * (f.max! - f.min!);
  }
  partial.width = pick([16, 64, 128, 1024]);
  partial.layers = pick([1, 2, 3, 6]);
  partial.targets = rng.uniform() < 0.5 ? [1] : Array.from({ length: partial.layers as number }, (_, i) => i + 1);
  partial.seed = Math.floor(rng.uniform() * 2 ** 32);
  return cfg(partial as Partial<RunConfig>);
}

describe('configToQuery / queryToConfig', () => {
  it('the default config is the empty query', () => {
    expect(configToQuery(DEFAULT_CONFIG)).toBe('');
    expect(queryToConfig('')).toEqual({ config: DEFAULT_CONFIG, notices: [] });
  });

  it('writes only non-default fields, in table order, with short numbers', () => {
    const c = cfg({ seed: 7, lr: 2 ** -6.5, r: 16, lora_alpha: 32, init: 'initB', eps: 1e-10, layers: 4, targets: [1, 3] });
    expect(configToQuery(c)).toBe('layers=4&r=16&lora_alpha=32&init=initB&targets=1,3&lr=0.011048543456039804&eps=1e-10&seed=7');
    expect(configToQuery(cfg({ layers: 4 }))).toBe('layers=4'); // targets = all layers is the default
  });

  it('round-trips exactly, with no notices (300 random configs with awkward floats)', () => {
    const rng = Rng.stream(11, 'url');
    for (let trial = 0; trial < 300; trial++) {
      const c = randomConfig(rng);
      const q = configToQuery(c);
      expect(q).toMatch(/^[0-9A-Za-z_.,=&-]*$/);
      expect(queryToConfig(q)).toEqual({ config: c, notices: [] });
      expect(queryToConfig(`?${q}`).config).toEqual(c);
      expect(queryToConfig(`#${q}`).config).toEqual(c);
    }
  });

  it('a link with r=-3 is clamped, with a notice naming r (also as the alias rank=-3)', () => {
    for (const q of ['r=-3', '?rank=-3']) {
      const { config, notices } = queryToConfig(q);
      expect(config).toEqual({ ...DEFAULT_CONFIG, r: 1 });
      expect(notices).toEqual(['r: "-3" out of range 1..128, clamped to 1']);
    }
  });

  it('garbage values fall back to defaults or are clamped, each with a notice naming the field', () => {
    const { config, notices } = queryToConfig('lr=abc&width=1e9&init=&targets=0,x&steps=12.7&shift=%E0%A4%A&seed=');
    expect(config).toEqual({ ...DEFAULT_CONFIG, width: 1024, steps: 13 });
    expect(notices.map((n) => n.split(':')[0])).toEqual(['width', 'shift', 'init', 'targets', 'lr', 'steps', 'seed']);
  });

  it('ignores unknown keys and keys without a value, with notices; the last of a repeated key wins', () => {
    const { config, notices } = queryToConfig('foo=1&bar&r=4&r=16');
    expect(config).toEqual({ ...DEFAULT_CONFIG, r: 16 });
    expect(notices).toEqual(['r: given more than once; using the last value', 'unknown setting "foo" ignored', 'unknown setting "bar" ignored']);
  });

  it('reads percent-escapes and never turns + into a space', () => {
    expect(queryToConfig('lr=1e%2D3').config.lr).toBe(0.001);
    expect(queryToConfig('targets=1%2C2&layers=3').config.targets).toEqual([1, 2]);
    expect(queryToConfig('lr=1e%2B0').config.lr).toBe(1);
  });
});
