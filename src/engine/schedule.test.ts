import { describe, expect, it } from 'vitest';
import { lrAt, warmupSteps, type ScheduleConfig } from './schedule';
import { goldenSchedule } from '../test/golden';

const cosine = (lr: number, warmup = 0.05, minLrRatio = 0.1): ScheduleConfig => ({ lr, schedule: 'cosine', warmup, minLrRatio });

describe('lrAt', () => {
  it('matches the transformers golden schedule (warmup then cosine to 0.1x) within 1e-12', () => {
    const g = goldenSchedule;
    const cfg = cosine(g.peak, g.warmup / g.total, g.min_lr_rate);
    expect(warmupSteps(g.total, cfg.warmup)).toBe(g.warmup);
    expect(g.lr).toHaveLength(g.total);
    g.lr.forEach((want, k) => expect(Math.abs(lrAt(k, g.total, cfg) - want)).toBeLessThanOrEqual(1e-12));
  });

  it('constant returns the peak at every step, warmup ignored', () => {
    for (const k of [0, 1, 50, 399, 1000]) expect(lrAt(k, 400, { lr: 0.01, schedule: 'constant', warmup: 0.5, minLrRatio: 0.1 })).toBe(0.01);
  });

  it('reaches the peak after warmup, decreases monotonically, and ends near the floor', () => {
    const total = 400;
    const cfg = cosine(2 ** -7);
    const w = warmupSteps(total, cfg.warmup);
    expect(w).toBe(20);
    expect(lrAt(0, total, cfg)).toBe(0);
    expect(lrAt(w, total, cfg)).toBe(cfg.lr);
    for (let k = w + 1; k < total; k++) expect(lrAt(k, total, cfg)).toBeLessThan(lrAt(k - 1, total, cfg));
    expect(lrAt(total - 1, total, cfg)).toBeGreaterThan(0.1 * cfg.lr);
    expect(lrAt(total, total, cfg)).toBeCloseTo(0.1 * cfg.lr, 15);
  });

  it('holds the floor past the end (steps lowered mid-run) and handles no warmup and a one-step run', () => {
    const cfg = cosine(1, 0, 0.25);
    expect(lrAt(0, 10, cfg)).toBe(1);
    expect(lrAt(25, 10, cfg)).toBe(0.25);
    expect(lrAt(0, 1, cfg)).toBe(1);
    expect(lrAt(0, 1, cosine(1, 0.05))).toBe(0); // ceil(0.05) = 1 warmup step: the whole run
  });
});
