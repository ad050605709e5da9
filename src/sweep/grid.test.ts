import { describe, expect, it } from 'vitest';
import { alphaEff, DEFAULT_CONFIG, TASK_PRESETS, validateConfig, type RunConfig } from '../config/schema';
import { ALL_CELLS, cellsOf } from '../tasks/lmTargets';
import { buildGrid, DEFAULT_SWEEP, defErrors, gridErrors, gridSize, largestAxis, lrValues } from './grid';
import { batches, calibrationConfig, estimateSeconds, formatDuration, limitsError, sweepMemory } from './estimate';
import type { SweepDef } from './types';

const def = (p: Partial<SweepDef> = {}): SweepDef => ({ ...structuredClone(DEFAULT_SWEEP as SweepDef), ...p });
const base = { ...DEFAULT_CONFIG };

describe('lrValues', () => {
  it('is the log2 grid from..to inclusive (default 2^-10 .. 2^-1 in half steps: 19 values)', () => {
    const xs = lrValues(DEFAULT_SWEEP.lr);
    expect(xs.length).toBe(19);
    expect(xs[0]).toBe(-10);
    expect(xs[18]).toBe(-1);
    expect(xs[1]).toBe(-9.5);
  });
  it('has no float drift and stops at "to" even when the step does not divide the range', () => {
    expect(lrValues({ from: -3, to: -2, step: 0.1 })).toEqual([-3, -2.9, -2.8, -2.7, -2.6, -2.5, -2.4, -2.3, -2.2, -2.1, -2]);
    expect(lrValues({ from: -8, to: -5, step: 2 })).toEqual([-8, -6]);
    expect(lrValues({ from: -7, to: -7, step: 1 })).toEqual([-7]);
  });
});

describe('buildGrid', () => {
  it('crosses ranks and learning rates, everything else from the settings', () => {
    const runs = buildGrid(def({ ranks: [1, 2], lr: { from: -6, to: -4, step: 1 } }), base);
    expect(runs.length).toBe(6);
    expect(runs.map((r) => [r.config.r, Math.log2(r.config.lr)])).toEqual([
      [1, -6], [1, -5], [1, -4], [2, -6], [2, -5], [2, -4],
    ]);
    for (const r of runs) {
      expect(validateConfig(r.config).errors).toEqual([]);
      expect({ ...r.config, r: base.r, lr: base.lr }).toEqual(base);
      expect(r.axes).toMatchObject({ fft: false, rank: r.config.r, log2lr: Math.log2(r.config.lr), alpha: null });
    }
  });

  it('alpha as alpha_eff sets lora_alpha = alpha_eff * r; as lora_alpha keeps it fixed', () => {
    const eff = buildGrid(def({ ranks: [2, 8], lr: { from: -5, to: -5, step: 1 }, alpha: { kind: 'alphaEff', values: [1, 0.5] } }), base);
    expect(eff.map((r) => [r.config.r, r.config.lora_alpha, alphaEff(r.config)])).toEqual([
      [2, 2, 1], [8, 8, 1], [2, 1, 0.5], [8, 4, 0.5],
    ]);
    const fixed = buildGrid(def({ ranks: [2, 8], lr: { from: -5, to: -5, step: 1 }, alpha: { kind: 'loraAlpha', values: [16] } }), base);
    expect(fixed.map((r) => r.config.lora_alpha)).toEqual([16, 16]);
    expect(fixed.map((r) => r.axes.alpha)).toEqual([16, 16]);
  });

  it('crosses the optional axes and adds FFT runs over the same learning rates once per shared axes', () => {
    const d = def({
      ranks: [4],
      lr: { from: -6, to: -5, step: 1 },
      inits: ['initA', 'initB'],
      scalings: ['standard', 'rslora'],
      seeds: [1, 2],
      optimizers: ['adamw'],
      targets: [[2, 1], [1]],
      loraPlusRatios: [1, 4],
      includeFft: true,
    });
    const runs = buildGrid(d, base);
    const lora = runs.filter((r) => !r.axes.fft);
    const fft = runs.filter((r) => r.axes.fft);
    expect(lora.length).toBe(2 * 2 * 2 * 2 * 2 * 2);
    expect(fft.length).toBe(2 * 2 * 2); // lrs x seeds x targets
    expect(runs.length).toBe(gridSize(d));
    expect(fft.every((r) => r.config.mode === 'fft')).toBe(true);
    expect(lora[0].config.targets).toEqual([1, 2]); // sorted
    expect(new Set(lora.map((r) => `${r.config.init}/${r.config.scaling}/${r.config.seed}/${r.config.loraPlusRatio}`)).size).toBe(16);
  });
});

describe('the language model grid', () => {
  const lm: RunConfig = { ...DEFAULT_CONFIG, ...TASK_PRESETS.lm, task: 'lm' };
  const qv = cellsOf(['q_proj', 'v_proj']);

  it('crosses target-module sets with the other axes, FFT once per set, names each set', () => {
    const d = def({ ranks: [5, 24], lr: { from: -6, to: -5, step: 1 }, lmTargets: [[9, 7, 2, 0], [...ALL_CELLS]], includeFft: true });
    const runs = buildGrid(d, lm);
    expect(runs.length).toBe(2 * 2 * 2 + 2 * 2);
    expect(runs.length).toBe(gridSize(d));
    expect(runs.slice(0, 4).map((r) => [r.axes.lmTargets, r.config.r, Math.log2(r.config.lr)])).toEqual([
      ['q+v', 5, -6], ['q+v', 5, -5], ['q+v', 24, -6], ['q+v', 24, -5],
    ]);
    expect(runs[0].config.lmTargets).toEqual(qv); // sorted
    const fft = runs.filter((r) => r.axes.fft);
    expect(fft.map((r) => [r.config.mode, r.axes.lmTargets])).toEqual([['fft', 'q+v'], ['fft', 'q+v'], ['fft', 'all'], ['fft', 'all']]);
    expect(fft[2].config.lmTargets).toEqual(ALL_CELLS);
    for (const r of runs) expect(validateConfig(r.config).errors).toEqual([]);
    expect(gridErrors(d, lm)).toEqual([]);
  });

  it('leaves out the axis the task does not read: toy layers on the LM, target modules on the toy', () => {
    const d = def({ ranks: [4], lr: { from: -6, to: -6, step: 1 }, targets: [[1], [2]], lmTargets: [qv, [...ALL_CELLS]] });
    expect(buildGrid(d, lm).map((r) => [r.axes.lmTargets, r.config.targets])).toEqual([['q+v', [1, 2]], ['all', [1, 2]]]);
    expect(buildGrid(d, base).map((r) => [r.axes.targets, r.config.lmTargets])).toEqual([['1', ALL_CELLS], ['2', ALL_CELLS]]);
    expect(gridErrors(def({ lmTargets: [[]] }), base)).toEqual([]);
  });

  it('refuses an empty or impossible target-module set, naming the axis', () => {
    expect(defErrors(def({ lmTargets: [[]] }))).toContain('target modules: every set needs at least one projection');
    expect(gridErrors(def({ ranks: [4], lmTargets: [[14]] }), lm)[0]).toMatch(/^target modules: modules q@2 gives an invalid run \(lmTargets must be .* in 0\.\.13 .*\); change the target modules axis$/);
  });
});

describe('validation', () => {
  it('accepts the default grid on the default settings', () => {
    expect(gridErrors(def(), base)).toEqual([]);
  });
  it('refuses a rank above the width, naming the ranks axis', () => {
    const errs = gridErrors(def({ ranks: [1, 32] }), { ...base, width: 16, r: 8, lora_alpha: 8 });
    expect(errs.length).toBe(1);
    expect(errs[0]).toMatch(/^ranks: rank 32 gives an invalid run \(r must be an integer in 1\.\.16 \(got 32\)\); change the ranks axis$/);
  });
  it('refuses learning rates out of range, alpha out of range and bad targets, each naming its axis', () => {
    expect(gridErrors(def({ lr: { from: -22, to: -20, step: 1 } }), base)[0]).toMatch(/^learning rates: 2\^-22 /);
    expect(gridErrors(def({ ranks: [64], alpha: { kind: 'alphaEff', values: [100] } }), base)[0]).toMatch(/^alpha: alpha 100 at rank 64 .*lora_alpha must be/);
    expect(gridErrors(def({ targets: [[3]] }), base)[0]).toMatch(/^target layers: layers 3 .*targets must be/);
  });
  it('refuses malformed definitions', () => {
    expect(defErrors(def({ ranks: [] }))).toContain('ranks: give at least one rank');
    expect(defErrors(def({ lr: { from: -1, to: -5, step: 1 } }))[0]).toMatch(/must not be below/);
    expect(defErrors(def({ lr: { from: -5, to: -1, step: 0 } }))[0]).toMatch(/step must be above 0/);
    expect(defErrors(def({ lr: { from: -20, to: 4, step: 0.1 } }))[0]).toMatch(/at most 64 values/);
  });
  it('names the largest axis of a huge grid', () => {
    const d = def({ seeds: Array.from({ length: 20 }, (_, i) => i) });
    expect(largestAxis(d)).toEqual({ key: 'seeds', name: 'seeds', count: 20 });
    expect(gridErrors(d, base)[0]).toMatch(/^2660 runs is more than 2000: use fewer seeds \(20 values\)$/);
  });
});

describe('estimates', () => {
  it('memory grows with the runs of a batch; seeds, FFT and optimizers make separate batches; 64 runs at most', () => {
    const one = sweepMemory(buildGrid(def({ ranks: [8], lr: { from: -5, to: -5, step: 1 } }), base));
    const many = sweepMemory(buildGrid(def({ ranks: [8], lr: { from: -10, to: -1, step: 1 } }), base));
    expect(many.largestBatchRuns).toBe(10);
    expect(many.largestBufferBytes).toBe(10 * one.largestBufferBytes);
    const split = buildGrid(def({ ranks: [8], lr: { from: -5, to: -5, step: 1 }, seeds: [1, 2], optimizers: ['adamw', 'sgd'], includeFft: true }), base);
    expect(batches(split).length).toBe(2 * 2 * 2);
    const lora = split.filter((r) => r.config.mode === 'lora');
    expect(sweepMemory(lora).largestBufferBytes).toBe(one.largestBufferBytes); // one run per batch
    expect(sweepMemory(split).largestBufferBytes).toBe(2 * 128 * 128 * 4); // an FFT run trains both n x n layers
    const big = buildGrid(def(), base); // 7 ranks x 19 lrs = 133 runs of one group
    expect(batches(big).map((b) => b.length)).toEqual([64, 64, 5]);
    // Ranks are padded to the batch's largest: a rank-1 run in a batch with rank 64 costs as much.
    const padded = sweepMemory(buildGrid(def({ ranks: [1, 64], lr: { from: -5, to: -5, step: 1 } }), base));
    const alone64 = sweepMemory(buildGrid(def({ ranks: [64], lr: { from: -5, to: -5, step: 1 } }), base));
    expect(padded.largestBufferBytes).toBe(2 * alone64.largestBufferBytes);
    // An eval set longer than the batch gets its own forward buffers (z, a, h per layer) of R x chunk rows.
    const evalOf = (evalSize: number) => sweepMemory(buildGrid(def({ ranks: [8], lr: { from: -5, to: -4, step: 1 } }), { ...base, evalSize, batch: 64 })).totalBytes;
    const inputs = (e: number) => e * base.dIn * 4;
    expect(evalOf(512) - inputs(512) - (evalOf(64) - inputs(64))).toBeGreaterThanOrEqual(2 * 512 * ((base.layers + 1) * 2 * base.width + base.targets.length * 8) * 4);
  });

  it('a sweep over the adapter limits is refused, naming the axis to shrink', () => {
    const d = def();
    const mem = sweepMemory(buildGrid(d, base));
    expect(limitsError(mem, d, { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 })).toBeNull();
    expect(limitsError(mem, d, null)).toBeNull();
    const small = { maxStorageBufferBindingSize: mem.perRunBufferBytes * 10, maxBufferSize: 2 ** 30 };
    expect(limitsError(mem, d, small)).toMatch(/trains 64 runs together .*maxStorageBufferBindingSize .*Shrink the learning rates axis \(19 values\): at most about 10 runs fit/);
    const tiny = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 1024 };
    expect(limitsError(mem, d, tiny)).toMatch(/^One run alone needs .*maxBufferSize/);
    // a memory budget bounds a whole batch's buffers
    const budget = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30, budget: mem.largestGroupBytes / 4 };
    expect(limitsError(mem, d, budget)).toMatch(/trains 64 runs together, which need .* over the memory budget .*Shrink the learning rates axis \(19 values\): about 16 runs fit/);
    expect(limitsError(mem, d, { ...budget, budget: mem.largestGroupBytes })).toBeNull();
  });

  it('time: between one step per batch and every run one after another, at the calibrated rate', () => {
    const runs = buildGrid(def({ ranks: [1, 64], lr: { from: -6, to: -4, step: 1 }, includeFft: true }), base);
    expect(estimateSeconds(runs, 100)).toEqual({ low: (2 * 400) / 100, high: (9 * 400) / 100 });
    expect(estimateSeconds(runs, 0).low).toBeNaN();
    expect(calibrationConfig(runs, base).r).toBe(64);
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(600)).toBe('10.0 min');
    expect(formatDuration(7200)).toBe('2.0 h');
  });
});
