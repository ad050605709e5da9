/**
 * A sweep definition -> the runs of its grid. Every run is the current settings with the axis values
 * put in; each run's config goes through the schema's strict validation, and a grid that would hold an
 * invalid run is refused with a message that names the axis to change (e.g. a rank above the width).
 *
 * Order (stable, so run ids and tables read naturally): seeds, optimizers, targets, target modules,
 * inits, scalings, alphas, LoRA+ ratios, ranks, learning rates; then the FFT runs (seeds, optimizers,
 * targets, target modules, lrs). FFT runs do not depend on the LoRA-only axes (rank, alpha, init,
 * scaling, LoRA+), so they appear once per combination of the shared ones.
 *
 * An axis the settings' task does not read (the toy's target layers on the language model, its target
 * modules on the toy) is left out, as the settings panel hides those fields: a definition typed for one
 * task keeps its other axes for when the user switches back.
 */
import { fieldServes, validateConfig, type FieldKey, type RunConfig } from '../config/schema';
import { formatTargetSet } from '../tasks/lmTargets';
import type { GridRun, RunAxes, SweepDef } from './types';

export const DEFAULT_SWEEP: Readonly<SweepDef> = Object.freeze({
  ranks: [1, 2, 4, 8, 16, 32, 64],
  lr: { from: -10, to: -1, step: 0.5 },
  alpha: null,
  inits: [],
  scalings: [],
  targets: [],
  lmTargets: [],
  seeds: [],
  optimizers: [],
  loraPlusRatios: [],
  includeFft: false,
});

/** A sweep larger than this is refused whatever the GPU: it would take hours and swamp the charts. */
export const MAX_RUNS = 2000;
/** Learning rates per sweep, at most. */
export const MAX_LRS = 64;

/** The log2 learning rates of the grid: from, from + step, ... <= to (rounded to kill float drift). */
export function lrValues(lr: SweepDef['lr']): number[] {
  if (!(lr.step > 0) || !(lr.to >= lr.from)) return [lr.from];
  const n = Math.floor((lr.to - lr.from) / lr.step + 1e-9);
  return Array.from({ length: Math.min(n, MAX_LRS - 1) + 1 }, (_, i) => Math.round((lr.from + i * lr.step) * 1e9) / 1e9);
}

/** The axes' names as the controls and messages say them. */
export const AXIS_NAMES = {
  ranks: 'ranks',
  lr: 'learning rates',
  alpha: 'alpha',
  inits: 'init schemes',
  scalings: 'scaling rules',
  targets: 'target layers',
  lmTargets: 'target modules',
  seeds: 'seeds',
  optimizers: 'optimizers',
  loraPlusRatios: 'LoRA+ ratios',
} as const;
export type AxisKey = keyof typeof AXIS_NAMES;

/** Which axis a config field comes from (for messages about invalid runs). */
const AXIS_OF_FIELD: Partial<Record<FieldKey, AxisKey>> = {
  r: 'ranks',
  lr: 'lr',
  lora_alpha: 'alpha',
  init: 'inits',
  scaling: 'scalings',
  targets: 'targets',
  lmTargets: 'lmTargets',
  seed: 'seeds',
  optimizer: 'optimizers',
  loraPlusRatio: 'loraPlusRatios',
};

/** How many values each axis has (1 for an axis that is not swept). */
export function axisSizes(def: SweepDef): Record<AxisKey, number> {
  return {
    ranks: Math.max(1, def.ranks.length),
    lr: lrValues(def.lr).length,
    alpha: def.alpha ? Math.max(1, def.alpha.values.length) : 1,
    inits: Math.max(1, def.inits.length),
    scalings: Math.max(1, def.scalings.length),
    targets: Math.max(1, def.targets.length),
    lmTargets: Math.max(1, def.lmTargets.length),
    seeds: Math.max(1, def.seeds.length),
    optimizers: Math.max(1, def.optimizers.length),
    loraPlusRatios: Math.max(1, def.loraPlusRatios.length),
  };
}

/** Problems with the definition itself (before any run is built), each naming its axis. */
export function defErrors(def: SweepDef): string[] {
  const errs: string[] = [];
  if (def.ranks.length === 0) errs.push('ranks: give at least one rank');
  if (def.ranks.some((r) => !Number.isInteger(r) || r < 1)) errs.push('ranks: every rank must be a positive integer');
  const { from, to, step } = def.lr;
  if (![from, to, step].every(Number.isFinite)) errs.push('learning rates: from, to and step must be numbers (log2 exponents)');
  else if (to < from) errs.push(`learning rates: "to" (${to}) must not be below "from" (${from})`);
  else if (!(step > 0)) errs.push('learning rates: step must be above 0');
  else if ((to - from) / step + 1 > MAX_LRS + 1e-9) errs.push(`learning rates: at most ${MAX_LRS} values; use a larger step or a narrower range`);
  if (def.alpha && def.alpha.values.some((a) => !(a > 0))) errs.push('alpha: every value must be above 0');
  if (def.alpha && def.alpha.values.length === 0) errs.push('alpha: give at least one value, or stop sweeping alpha');
  if (def.loraPlusRatios.some((x) => !(x >= 1))) errs.push('LoRA+ ratios: every ratio must be at least 1');
  if (def.targets.some((t) => t.length === 0)) errs.push('target layers: every set needs at least one layer');
  if (def.lmTargets.some((t) => t.length === 0)) errs.push('target modules: every set needs at least one projection');
  return errs;
}

/** The definition with the axes that the task does not read emptied (see the top of this file). */
export function taskAxes(def: SweepDef, task: RunConfig['task']): SweepDef {
  return { ...def, targets: fieldServes('targets', task) ? def.targets : [], lmTargets: fieldServes('lmTargets', task) ? def.lmTargets : [] };
}

const orBase = <T>(list: readonly T[], base: T): T[] => (list.length > 0 ? [...list] : [base]);

/** Every run of the grid (without run ids), in the order described at the top of this file. */
export function buildGrid(swept: SweepDef, base: RunConfig): GridRun[] {
  const def = taskAxes(swept, base.task);
  const out: GridRun[] = [];
  const lrs = lrValues(def.lr);
  const seeds = orBase(def.seeds, base.seed);
  const optimizers = orBase(def.optimizers, base.optimizer);
  const sorted = (sets: readonly (readonly number[])[]) => sets.map((t) => [...t].sort((a, b) => a - b));
  const targetSets = def.targets.length > 0 ? sorted(def.targets) : [[...base.targets]];
  const lmTargetSets = def.lmTargets.length > 0 ? sorted(def.lmTargets) : [[...base.lmTargets]];
  const inits = orBase(def.inits, base.init);
  const scalings = orBase(def.scalings, base.scaling);
  const alphas: (number | null)[] = def.alpha ? [...def.alpha.values] : [null];
  const plus = orBase(def.loraPlusRatios, base.loraPlusRatio);
  const ranks = orBase(def.ranks, base.r);
  const push = (config: RunConfig, axes: RunAxes) => out.push({ config, axes });
  for (const seed of seeds)
    for (const optimizer of optimizers)
      for (const targets of targetSets)
        for (const lmTargets of lmTargetSets)
          for (const init of inits)
            for (const scaling of scalings)
              for (const alpha of alphas)
                for (const loraPlusRatio of plus)
                  for (const r of ranks)
                    for (const x of lrs) {
                      const lora_alpha = alpha === null ? base.lora_alpha : def.alpha!.kind === 'alphaEff' ? alpha * r : alpha;
                      const config: RunConfig = { ...base, mode: 'lora', r, lr: 2 ** x, lora_alpha, init, scaling, targets, lmTargets, seed, optimizer, loraPlusRatio };
                      push(config, { fft: false, rank: r, log2lr: x, alpha, init, scaling, targets: targets.join(','), lmTargets: formatTargetSet(lmTargets), seed, optimizer, loraPlusRatio });
                    }
  if (def.includeFft)
    for (const seed of seeds)
      for (const optimizer of optimizers)
        for (const targets of targetSets)
          for (const lmTargets of lmTargetSets)
            for (const x of lrs) {
              const config: RunConfig = { ...base, mode: 'fft', lr: 2 ** x, targets, lmTargets, seed, optimizer };
              const axes: RunAxes = { fft: true, rank: base.r, log2lr: x, alpha: null, init: base.init, scaling: base.scaling, targets: targets.join(','), lmTargets: formatTargetSet(lmTargets), seed, optimizer, loraPlusRatio: base.loraPlusRatio };
              push(config, axes);
            }
  return out;
}

/** The number of runs without building them (for a quick refusal of a huge grid). */
export function gridSize(def: SweepDef): number {
  const s = axisSizes(def);
  const shared = s.lr * s.seeds * s.optimizers * s.targets * s.lmTargets;
  return shared * s.ranks * s.alpha * s.inits * s.scalings * s.loraPlusRatios + (def.includeFft ? shared : 0);
}

/** The axis with the most values (what to shrink first when the grid is too big). */
export function largestAxis(def: SweepDef): { key: AxisKey; name: string; count: number } {
  const sizes = axisSizes(def);
  const key = (Object.keys(sizes) as AxisKey[]).reduce((a, b) => (sizes[b] > sizes[a] ? b : a));
  return { key, name: AXIS_NAMES[key], count: sizes[key] };
}

/**
 * Everything that stops the grid from running, each message naming the axis to change; [] = fine.
 * A run's invalid field is reported once per distinct message, e.g.
 * "ranks: rank 256 gives an invalid run (r must be an integer in 1..128 (got 256)); change the ranks axis".
 */
export function gridErrors(swept: SweepDef, base: RunConfig): string[] {
  const def = taskAxes(swept, base.task);
  const errs = defErrors(def);
  if (errs.length) return errs;
  const n = gridSize(def);
  if (n > MAX_RUNS) {
    const big = largestAxis(def);
    return [`${n} runs is more than ${MAX_RUNS}: use fewer ${big.name} (${big.count} values)`];
  }
  const seen = new Set<string>();
  for (const run of buildGrid(def, base)) {
    for (const e of validateConfig(run.config).errors) {
      const field = e.split(' ')[0] as FieldKey;
      const axis = AXIS_OF_FIELD[field];
      const where = axis ? `${AXIS_NAMES[axis]}: ${describe(axis, run)} gives an invalid run` : `the settings give an invalid run`;
      const msg = `${where} (${e}); ${axis ? `change the ${AXIS_NAMES[axis]} axis` : 'change the settings'}`;
      if (!seen.has(msg)) {
        seen.add(msg);
        errs.push(msg);
      }
    }
  }
  return errs;
}

function describe(axis: AxisKey, run: GridRun): string {
  const a = run.axes;
  switch (axis) {
    case 'ranks': return `rank ${a.rank}`;
    case 'lr': return `2^${a.log2lr}`;
    case 'alpha': return `alpha ${a.alpha} at rank ${a.rank} (lora_alpha ${run.config.lora_alpha})`;
    case 'inits': return a.init;
    case 'scalings': return a.scaling;
    case 'targets': return `layers ${a.targets}`;
    case 'lmTargets': return `modules ${a.lmTargets}`;
    case 'seeds': return `seed ${a.seed}`;
    case 'optimizers': return a.optimizer;
    case 'loraPlusRatios': return `ratio ${a.loraPlusRatio}`;
  }
}
