/**
 * One-click reproductions of the findings in the source documents (../shared/research/seeds/ and
 * LORA_FACTS.md). A preset sets the sweep (and the few settings the finding depends on), runs it, and
 * shows what the source found next to what this run shows (presetReports.ts).
 *
 * Sizes: on the default task (width 128, 400 steps) every preset is at most ~90 runs, a few minutes on a
 * laptop GPU. The "quick" scale keeps at most 2 values per axis and 3 learning rates, for tests and for
 * a first look on a slow (software) GPU. Ranks above the current width are dropped.
 *
 * A preset belongs to a task: the language model's (lmPresets.ts) set task 'lm' in their settings, the
 * rest are the toy's. Applying a preset of the other task switches the page to it (with that task's
 * TASK_PRESETS, as switching by hand does).
 */
import { TASK_PRESETS, type RunConfig } from '../config/schema';
import { DEFAULT_SWEEP, lrValues } from './grid';
import type { HeatAxis } from './heatmap';
import { LM_PRESETS } from './lmPresets';
import type { SweepDef } from './types';

export type PresetId =
  | 'mua-a1' | 'mua-a-inv-r' | 'mua-b1-fft' | 'rslora' | 'alpha-rank' | 'alpha-lr' | 'lora-vs-fft' | 'multi-epoch' | 'adamw-sgd'
  | 'lm-mua-a1' | 'lm-mua-a-inv-r' | 'lm-mua-b1-fft' | 'lm-attn-vs-all' | 'lm-learns-forgets';

export interface Preset {
  id: PresetId;
  title: string;
  source: string;
  /** What the source found, in a sentence or two. */
  found: string;
  def: Partial<SweepDef>;
  /** Settings the finding depends on (everything else stays as it is); `task` says whose preset it is. */
  settings?: Partial<RunConfig>;
  /** What the quick scale changes beyond its usual shrinking (e.g. fewer steps). */
  quick?: { def?: Partial<SweepDef>; settings?: Partial<RunConfig> };
  /** Which view shows the finding best. */
  view: { overlay?: boolean; heatmap?: [HeatAxis, HeatAxis]; curves?: boolean; forgetting?: boolean };
}

const MUA = 'muA paper (Chen, Villar, Hayou): Learning Rate Scaling across LoRA Ranks and Transfer to Full Finetuning';
const RANKS = [1, 2, 4, 8, 16, 32, 64];
const lr = (from: number, to: number, step = 1) => ({ from, to, step });

export const PRESETS: readonly Preset[] = [
  {
    id: 'mua-a1',
    title: 'muA: Init[A], alpha_eff = 1',
    source: MUA,
    found: 'With Init[A] and alpha_eff = 1 (lora_alpha = r), the optimal learning rate shrinks as the rank grows: eta* ~ r^-1/2, so the optimum moves left by half an octave per doubling of r (slope -1/2).',
    def: { ranks: RANKS, lr: lr(-12, -2), alpha: { kind: 'alphaEff', values: [1] }, inits: ['initA'], scalings: ['standard'] },
    view: {},
  },
  {
    id: 'mua-a-inv-r',
    title: 'muA: Init[A], alpha_eff = 1/r',
    source: MUA,
    found: 'With Init[A] and a fixed lora_alpha (alpha_eff = 1/r, the original LoRA paper\'s choice), the optimal learning rate is rank-invariant: the optima line up (slope 0).',
    def: { ranks: RANKS, lr: lr(-10, -1), alpha: { kind: 'loraAlpha', values: [1] }, inits: ['initA'], scalings: ['standard'] },
    view: {},
  },
  {
    id: 'mua-b1-fft',
    title: 'muA: Init[B], alpha_eff = 1, vs full fine-tuning',
    source: MUA,
    found: 'With Init[B] (B random, A = 0) and alpha_eff = 1, the optimal learning rate is rank-invariant and scales like full fine-tuning\'s (eta* ~ n^-1), so a learning rate tuned with LoRA transfers to full fine-tuning.',
    def: { ranks: RANKS, lr: lr(-12, -2), alpha: { kind: 'alphaEff', values: [1] }, inits: ['initB'], scalings: ['standard'], includeFft: true },
    view: {},
  },
  {
    id: 'rslora',
    title: 'rsLoRA vs standard scaling across ranks, fixed learning rate',
    source: 'Determined AI: "How to set alpha in LoRA" (rsLoRA experiments)',
    found: 'From a baseline where both scalings are equal (here r = 1), raising the rank at a fixed alpha and learning rate improved results with rsLoRA (alpha / sqrt r) but not with standard alpha / r, which slows higher ranks down. At a higher learning rate the difference was minimal.',
    def: { ranks: [1, 4, 16, 64], lr: lr(-8, -5, 3), alpha: { kind: 'loraAlpha', values: [1] }, scalings: ['standard', 'rslora'] },
    view: { heatmap: ['rank', 'scaling'] },
  },
  {
    id: 'alpha-rank',
    title: 'alpha x rank at a fixed learning rate',
    source: 'Determined AI: "How to set alpha in LoRA" (28-run alpha x rank grid, lr 1e-5)',
    found: 'At a small fixed learning rate, a higher alpha was better at every rank (the best run had the largest alpha, 512), and for a given alpha the rank made little difference: no evidence that alpha should be a set multiple of r.',
    def: { ranks: [2, 8, 32], lr: lr(-12, -12), alpha: { kind: 'loraAlpha', values: [0.5, 2, 8, 32, 128, 512] } },
    view: { heatmap: ['alpha', 'rank'] },
  },
  {
    id: 'alpha-lr',
    title: 'alpha vs learning rate (Adam)',
    source: 'LORA_FACTS.md (LoRA paper remark; Determined AI run X vs run Y)',
    found: 'Under Adam, multiplying alpha by c is exactly equivalent to dividing the learning rate of the zero-initialised factor (B under Init[A]) by c; dividing the global learning rate by c is only approximately equivalent. Here c = 4: compare alpha_eff 4 with LoRA+ ratio 1 against alpha_eff 1 with ratio 4 at the same learning rate (exact), and the alpha_eff 4 curve against the alpha_eff 1 curve shifted by 2 octaves (approximate). Weight decay and clipping are off, as both break the equivalence.',
    def: { ranks: [8], lr: lr(-11, -3), alpha: { kind: 'alphaEff', values: [1, 4] }, inits: ['initA'], scalings: ['standard'], loraPlusRatios: [1, 4] },
    settings: { weightDecay: 0, clip: 0, lora_dropout: 0 },
    view: { overlay: true },
  },
  {
    id: 'lora-vs-fft',
    title: 'LoRA vs full fine-tuning: optimal learning rate',
    source: 'DeepSpeed-Chat training scripts ("usually LoRA needs to use larger learning rate")',
    found: 'LoRA needs a larger learning rate than full fine-tuning (DeepSpeed-Chat: scaling 1/lora_dim, i.e. a fixed lora_alpha, start with 2-3x the full fine-tuning rate).',
    def: { ranks: [4, 16, 64], lr: lr(-13, -3), alpha: { kind: 'loraAlpha', values: [1] }, inits: ['initA'], scalings: ['standard'], includeFft: true },
    view: {},
  },
  {
    id: 'multi-epoch',
    title: 'Multi-epoch training on a small dataset: train vs eval',
    source: 'Sebastian Raschka: Practical tips for finetuning LLMs using LoRA',
    found: 'Iterating many times over a small static dataset tends to overfit: the training loss keeps falling while the held-out loss stops improving and rises.',
    def: { ranks: [2, 8, 32], lr: lr(-7, -7), includeFft: true },
    settings: { trainSize: 128 },
    view: { curves: true },
  },
  {
    id: 'adamw-sgd',
    title: 'AdamW vs SGD with a cosine schedule',
    source: 'Sebastian Raschka: Practical tips for finetuning LLMs using LoRA',
    found: 'The optimizer made little difference to the results: AdamW, SGD with a cosine schedule and AdamW with one ended close together (the cosine schedule helped SGD most); SGD saves only the optimizer state, small for LoRA.',
    def: { ranks: [8], lr: lr(-12, 0), optimizers: ['adamw', 'sgd'] },
    settings: { schedule: 'cosine' },
    view: { overlay: true },
  },
  ...LM_PRESETS,
];

/** The task a preset runs on. */
export function presetTask(p: Preset): RunConfig['task'] {
  return p.settings?.task ?? 'toy';
}

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** At most two values: the first and the last. */
const ends = <T>(xs: readonly T[]): T[] => (xs.length <= 2 ? [...xs] : [xs[0], xs[xs.length - 1]]);

/** The preset's sweep at a scale, fitted to the settings (ranks above the width are dropped). */
export function presetDef(p: Preset, scale: 'full' | 'quick', base: RunConfig): SweepDef {
  const def: SweepDef = { ...structuredClone(DEFAULT_SWEEP as SweepDef), ...structuredClone(p.def) };
  const maxRank = Math.min(base.width, 256);
  def.ranks = def.ranks.filter((r) => r <= maxRank);
  if (def.ranks.length === 0) def.ranks = [Math.min(maxRank, 1)];
  if (scale === 'quick') {
    def.ranks = ends(def.ranks);
    const xs = lrValues(def.lr);
    if (xs.length > 3) def.lr = { from: xs[0], to: xs[xs.length - 1], step: (xs[xs.length - 1] - xs[0]) / 2 };
    if (def.alpha) def.alpha = { ...def.alpha, values: ends(def.alpha.values) };
    def.loraPlusRatios = ends(def.loraPlusRatios);
    Object.assign(def, structuredClone(p.quick?.def ?? {}));
  }
  return def;
}

/** The settings for a preset: the current ones with the preset's few changes, on the preset's task. */
export function presetSettings(p: Preset, base: RunConfig, scale: 'full' | 'quick' = 'full'): RunConfig {
  const task = presetTask(p);
  const switched = base.task === task ? {} : { task, ...TASK_PRESETS[task] };
  return { ...base, ...switched, ...p.settings, ...(scale === 'quick' ? p.quick?.settings : {}) };
}
