/**
 * THE config of a training run: one typed record, one table of fields (TensorFlow Playground style),
 * PEFT's names where PEFT has one (`r`, `lora_alpha`, `lora_dropout`). The field keys are what appear
 * in the URL and in CLI config JSON, so they are short and must stay stable.
 *
 * Two readers of untrusted input:
 * - validateConfig (strict, for CLI/JSON): every problem is an error naming the field and its range.
 * - clampConfig (lenient, for links): bad values are clamped or replaced by the default, with a notice.
 * Both always return a config that satisfies every rule (so callers never see an invalid one).
 */
import type { Activation } from '../ref/activation';

/** The language model's target grid: 7 projection types x the shipped base's 2 layers. */
export const LM_TYPES_PER_LAYER = 7;
export const LM_LAYERS = 2;
export const LM_CELLS = LM_TYPES_PER_LAYER * LM_LAYERS;
/** The narrowest side of the shipped base's projections (hidden size 128): a rank above it adds nothing. */
export const LM_MAX_RANK = 128;

export type InitScheme = 'initA' | 'initB' | 'peft' | 'gaussian';
export type Group = 'Task' | 'Adapter' | 'Optimizer' | 'Run';
export type FieldType = 'int' | 'float' | 'enum' | 'bool' | 'intList';

export interface RunConfig {
  /** The toy teacher-student MLP, or the tiny Llama language model (the fields below say which they serve). */
  task: 'toy' | 'lm';
  // Toy task (see ../shared/research/TOY_TASK.md)
  width: number; // n, width of every hidden layer
  layers: number; // L, number of adaptable hidden layers W_1..W_L
  dIn: number;
  dOut: number;
  trueRank: number; // r*, rank of the hidden change Delta_l
  shift: number; // c, strength of the change
  activation: Activation;
  loss: 'mse' | 'ce';
  trainSize: number; // 0 = fresh batch every step; S > 0 = finite set of S examples reused over epochs
  evalSize: number;
  // Language model task: what it is fine-tuned on, and the window length in bytes (tokens)
  lmData: 'shakespeare' | 'kjv' | 'user';
  seqLen: number;
  // Adapter
  mode: 'lora' | 'fft';
  r: number;
  lora_alpha: number;
  scaling: 'standard' | 'rslora'; // s = lora_alpha / r, or lora_alpha / sqrt(r) (PEFT use_rslora)
  init: InitScheme;
  targets: readonly number[]; // adapted layers, 1-based indices into W_1..W_L (module `layers.<l>`)
  /** Language model: adapted projections as cells layer * 7 + type (q k v o gate up down), 0-based. */
  lmTargets: readonly number[];
  lora_dropout: number;
  loraPlusRatio: number; // lr(B) / lr(A) (LoRA+)
  // Optimizer
  optimizer: 'adamw' | 'sgd';
  lr: number; // peak learning rate
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  momentum: number; // SGD only
  schedule: 'constant' | 'cosine';
  warmup: number; // fraction of steps of linear warmup (cosine schedule)
  minLrRatio: number; // cosine floor as a fraction of the peak
  clip: number; // global gradient-norm clip; 0 = off
  // Run
  batch: number;
  accum: number; // gradient accumulation micro-batches per optimizer step
  steps: number; // optimizer steps
  seed: number; // u32; every random draw derives from it
  logEvery: number; // steps between loss readbacks (each one is a GPU sync point)
}

export type FieldKey = keyof RunConfig;
export type FieldValue = number | string | boolean | readonly number[];

export interface Field {
  key: FieldKey;
  label: string;
  group: Group;
  type: FieldType;
  default: FieldValue;
  /** Static bounds; some are tightened by other fields, see fieldBounds. */
  min?: number;
  max?: number;
  options?: readonly string[];
  help: string;
  /** Show as a slider on a log2 scale. */
  log2?: boolean;
  /** Can change mid-run without a reset (applies from the next step). */
  live?: boolean;
}

/** The defaults: the default toy task with the muA training recipe (AdamW, clip 1, 5% warmup, cosine to 0.1x). */
export const DEFAULT_CONFIG: Readonly<RunConfig> = Object.freeze({
  task: 'toy',
  width: 128,
  layers: 2,
  dIn: 32,
  dOut: 10,
  trueRank: 4,
  shift: 0.5,
  activation: 'gelu_tanh',
  loss: 'mse',
  trainSize: 0,
  evalSize: 512, // small so the eval pass stays cheap on a software GPU
  lmData: 'shakespeare', // the base was pretrained on the KJV: dialogue is the new style
  seqLen: 64,
  mode: 'lora',
  r: 8,
  lora_alpha: 8, // alpha_eff = lora_alpha / r = 1
  scaling: 'standard',
  init: 'initA', // muA's Init[A]; PEFT's default ('peft') differs only in A's distribution
  targets: Object.freeze([1, 2]), // all layers; when `layers` is given and `targets` is not, all of them
  lmTargets: Object.freeze([...Array(LM_CELLS).keys()]), // every projection of every layer
  lora_dropout: 0,
  loraPlusRatio: 1,
  optimizer: 'adamw',
  lr: 2 ** -7,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  momentum: 0.9,
  schedule: 'cosine',
  warmup: 0.05,
  minLrRatio: 0.1,
  clip: 1,
  batch: 64,
  accum: 1,
  steps: 400,
  seed: 1,
  logEvery: 10,
} satisfies RunConfig);

type Spec = Omit<Field, 'key' | 'default'>;
const U32_MAX = 4294967295;

// One entry per field, in display (and URL) order; the mapped type makes the table complete.
const SPEC: { [K in FieldKey]: Spec } = {
  task: { label: 'Task', group: 'Task', type: 'enum', options: ['toy', 'lm'], help: 'toy: a frozen MLP and a hidden low-rank change to recover. lm: a tiny Llama language model (pretrained on the King James Bible) fine-tuned on text.' },
  width: { label: 'Width n', group: 'Task', type: 'int', min: 16, max: 1024, help: 'Width of every hidden layer of the base network.' },
  layers: { label: 'Hidden layers L', group: 'Task', type: 'int', min: 1, max: 6, help: 'Number of adaptable n x n hidden layers W_1..W_L.' },
  dIn: { label: 'Input size', group: 'Task', type: 'int', min: 4, max: 256, help: 'Dimension of the Gaussian inputs x.' },
  dOut: { label: 'Output size', group: 'Task', type: 'int', min: 4, max: 256, help: 'Number of outputs (or classes for cross-entropy).' },
  trueRank: { label: 'True rank r*', group: 'Task', type: 'int', min: 1, max: 1024, help: 'Rank of the hidden change Delta_l = c U V^T that the target adds to each hidden layer (at most n). Ranks r below r* cannot fit it.' },
  shift: { label: 'Shift strength c', group: 'Task', type: 'float', min: 0.05, max: 2, help: 'Size of the hidden change c in Delta_l = c U V^T.' },
  activation: { label: 'Activation', group: 'Task', type: 'enum', options: ['gelu_tanh', 'relu'], help: 'Nonlinearity after every hidden layer: GELU (tanh approximation) or ReLU.' },
  loss: { label: 'Loss', group: 'Task', type: 'enum', options: ['mse', 'ce'], help: "Regression (MSE divided by the base model's initial error, so it starts near 1) or classification (cross-entropy on the target's argmax)." },
  trainSize: { label: 'Training set size', group: 'Task', type: 'int', min: 0, max: 100000, help: '0: a fresh batch every step. S > 0: a fixed set of S examples reused over epochs (shows overfitting).' },
  lmData: { label: 'Fine-tuning text', group: 'Task', type: 'enum', options: ['shakespeare', 'kjv', 'user'], help: "Language model: Shakespeare's plays (a new style for the KJV-pretrained base), the KJV itself, or your own text (paste or drop a .txt; it never leaves the page)." },
  seqLen: { label: 'Window (bytes)', group: 'Task', type: 'int', min: 8, max: 128, help: 'Language model: bytes per training window (the model reads at most 128).' },
  evalSize: { label: 'Eval set size', group: 'Task', type: 'int', min: 16, max: 8192, help: 'Held-out examples for the eval loss.' },
  mode: { label: 'Mode', group: 'Adapter', type: 'enum', options: ['lora', 'fft'], help: 'LoRA adapters on the target layers, or full fine-tuning (FFT) of the same layers.' },
  r: { label: 'Rank r', group: 'Adapter', type: 'int', min: 1, max: 256, help: 'LoRA rank: A is (r, n), B is (n, r). At most min(n, 256).' },
  lora_alpha: { label: 'lora_alpha', group: 'Adapter', type: 'float', min: 0.01, max: 4096, log2: true, help: 'LoRA multiplier numerator: scaling s = lora_alpha / r (or / sqrt(r) with rsLoRA). alpha_eff = lora_alpha / r.' },
  scaling: { label: 'Scaling rule', group: 'Adapter', type: 'enum', options: ['standard', 'rslora'], help: 'standard: s = lora_alpha / r. rsLoRA: s = lora_alpha / sqrt(r) (PEFT use_rslora).' },
  init: { label: 'Init scheme', group: 'Adapter', type: 'enum', options: ['initA', 'initB', 'peft', 'gaussian'], help: 'Init[A]: A ~ N(0, 1/dIn), B = 0. Init[B]: B ~ N(0, 1/r), A = 0. PEFT default: A ~ U(+-1/sqrt(dIn)), B = 0. PEFT gaussian: A ~ N(0, 1/r^2), B = 0.' },
  targets: { label: 'Target layers', group: 'Adapter', type: 'intList', min: 1, max: 6, help: 'Which hidden layers (1..L) are adapted (PEFT target_modules).' },
  lmTargets: { label: 'Target modules', group: 'Adapter', type: 'intList', min: 0, max: LM_CELLS - 1, help: 'Language model: which projections are adapted, as a grid of module types (q_proj .. down_proj) x layers (PEFT target_modules, layers_to_transform).' },
  lora_dropout: { label: 'lora_dropout', group: 'Adapter', type: 'float', min: 0, max: 0.9, help: 'Dropout on the input of the LoRA path only.' },
  loraPlusRatio: { label: 'LoRA+ ratio', group: 'Adapter', type: 'float', min: 1, max: 64, log2: true, live: true, help: 'Learning rate of B divided by that of A (LoRA+ uses about 16). 1 = plain LoRA.' },
  optimizer: { label: 'Optimizer', group: 'Optimizer', type: 'enum', options: ['adamw', 'sgd'], help: 'AdamW (decoupled weight decay) or SGD with momentum.' },
  lr: { label: 'Learning rate', group: 'Optimizer', type: 'float', min: 2 ** -20, max: 2 ** 4, log2: true, live: true, help: 'Peak learning rate. Changing it mid-run applies from the next step.' },
  beta1: { label: 'beta1', group: 'Optimizer', type: 'float', min: 0, max: 0.9999, help: "AdamW's first-moment decay." },
  beta2: { label: 'beta2', group: 'Optimizer', type: 'float', min: 0, max: 0.99999, help: "AdamW's second-moment decay." },
  eps: { label: 'eps', group: 'Optimizer', type: 'float', min: 1e-12, max: 1e-2, log2: true, help: "AdamW's denominator epsilon." },
  weightDecay: { label: 'Weight decay', group: 'Optimizer', type: 'float', min: 0, max: 1, live: true, help: 'Decoupled weight decay (AdamW), or L2 added to the gradient (SGD), on trainable weights.' },
  momentum: { label: 'Momentum', group: 'Optimizer', type: 'float', min: 0, max: 0.999, help: 'SGD momentum (PyTorch convention; 0 = plain SGD).' },
  schedule: { label: 'Schedule', group: 'Optimizer', type: 'enum', options: ['constant', 'cosine'], live: true, help: 'constant, or linear warmup then cosine decay to a floor.' },
  warmup: { label: 'Warmup fraction', group: 'Optimizer', type: 'float', min: 0, max: 1, live: true, help: 'Fraction of the steps spent in linear warmup from 0 (cosine schedule).' },
  minLrRatio: { label: 'Floor (x peak)', group: 'Optimizer', type: 'float', min: 0, max: 1, live: true, help: 'Cosine decays to this fraction of the peak learning rate.' },
  clip: { label: 'Gradient clip', group: 'Optimizer', type: 'float', min: 0, max: 100, live: true, help: 'Clip the global gradient norm to this value; 0 = off.' },
  batch: { label: 'Batch size', group: 'Run', type: 'int', min: 1, max: 1024, help: 'Examples per micro-batch.' },
  accum: { label: 'Grad accumulation', group: 'Run', type: 'int', min: 1, max: 64, help: 'Micro-batches accumulated per optimizer step (effective batch = batch x accum).' },
  steps: { label: 'Steps', group: 'Run', type: 'int', min: 1, max: 100000, live: true, help: 'Optimizer steps in the run (the schedule spans them).' },
  seed: { label: 'Seed', group: 'Run', type: 'int', min: 0, max: U32_MAX, help: 'Seeds every random draw: task weights, target change, data, adapter init, dropout.' },
  logEvery: { label: 'Log every', group: 'Run', type: 'int', min: 1, max: 1000, live: true, help: 'Steps between loss readbacks (each is a GPU sync point).' },
};

export const FIELDS: readonly Field[] = Object.freeze(
  (Object.keys(SPEC) as FieldKey[]).map((key) => Object.freeze({ key, default: DEFAULT_CONFIG[key], ...SPEC[key] })),
);

const BY_KEY = new Map<string, Field>(FIELDS.map((f) => [f.key, f]));

/** The field with this key, or undefined for an unknown key. */
export function fieldOf(key: string): Field | undefined {
  return BY_KEY.get(key);
}

/**
 * Bounds of a numeric field (or of the items of `targets`) given the other fields of cfg:
 * r <= min(width, 256) (the language model: <= 128), trueRank <= width, targets within 1..layers.
 */
export function fieldBounds(key: FieldKey, cfg: Pick<RunConfig, 'width' | 'layers'> & Partial<Pick<RunConfig, 'task'>>): { min: number; max: number } {
  const f = BY_KEY.get(key)!;
  let max = f.max ?? Infinity;
  // the language model's projections are at least hidden (128) wide; the toy's layers are width wide
  if (key === 'r') max = Math.min(max, cfg.task === 'lm' ? LM_MAX_RANK : cfg.width);
  if (key === 'trueRank') max = Math.min(max, cfg.width);
  if (key === 'targets') max = cfg.layers;
  return { min: f.min ?? -Infinity, max };
}

/** Fields only one task reads (the others are hidden while that task is chosen); the rest serve both. */
const TOY_ONLY: readonly FieldKey[] = ['width', 'layers', 'dIn', 'dOut', 'trueRank', 'shift', 'activation', 'loss', 'trainSize', 'evalSize', 'targets', 'lora_dropout'];
const LM_ONLY: readonly FieldKey[] = ['lmData', 'seqLen', 'lmTargets'];

export function fieldServes(key: FieldKey, task: RunConfig['task']): boolean {
  return task === 'lm' ? !TOY_ONLY.includes(key) : !LM_ONLY.includes(key);
}

/**
 * Settings that suit each task when the user switches to it (a language model wants a few windows per
 * batch and a smaller learning rate than the toy MLP); every other field keeps its value.
 */
export const TASK_PRESETS: Record<RunConfig['task'], Partial<RunConfig>> = {
  toy: { batch: DEFAULT_CONFIG.batch, lr: DEFAULT_CONFIG.lr, steps: DEFAULT_CONFIG.steps, lora_alpha: DEFAULT_CONFIG.lora_alpha, logEvery: DEFAULT_CONFIG.logEvery },
  lm: { batch: 4, lr: 2 ** -8, steps: 150, lora_alpha: 16, logEvery: 10 },
};

/** A field's default for a task: the task's preset where it has one (task is read first, in table order). */
export function taskDefault(key: FieldKey, task: RunConfig['task']): FieldValue {
  const preset = TASK_PRESETS[task] as Record<string, FieldValue>;
  return key in preset ? preset[key] : DEFAULT_CONFIG[key];
}

/** All layers 1..L: the default for `targets`. */
export function allLayers(layers: number): number[] {
  return Array.from({ length: layers }, (_, i) => i + 1);
}

/** The LoRA scaling s: lora_alpha / r (standard) or lora_alpha / sqrt(r) (rsLoRA). */
export function scalingFactor(cfg: Pick<RunConfig, 'lora_alpha' | 'r' | 'scaling'>): number {
  return cfg.scaling === 'rslora' ? cfg.lora_alpha / Math.sqrt(cfg.r) : cfg.lora_alpha / cfg.r;
}

/** muA's multiplier alpha_eff = lora_alpha / r (whatever the scaling rule). */
export function alphaEff(cfg: Pick<RunConfig, 'lora_alpha' | 'r'>): number {
  return cfg.lora_alpha / cfg.r;
}

/**
 * Which change is needed when the config goes from prev to next: 'none' (equal), 'live' (only fields
 * marked live changed: applied from the next step), or 'reset' (the run must restart).
 */
export function resetKind(prev: RunConfig, next: RunConfig): 'none' | 'live' | 'reset' {
  let kind: 'none' | 'live' = 'none';
  for (const f of FIELDS) {
    if (sameValue(prev[f.key], next[f.key])) continue;
    if (!f.live) return 'reset';
    kind = 'live';
  }
  return kind;
}

/** The keys whose values differ between two configs, in table order. */
export function changedFields(prev: RunConfig, next: RunConfig): FieldKey[] {
  return FIELDS.filter((f) => !sameValue(prev[f.key], next[f.key])).map((f) => f.key);
}

export function sameValue(a: FieldValue, b: FieldValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return Object.is(a, b);
}

// ---------------------------------------------------------------------------------------------------
// Reading untrusted input. One pass in table order: width and layers come before the fields they bound.

/** "1..128", or "2^-20..2^4" for log2 fields whose bounds are powers of two. */
export function formatRange(f: Field, b: { min: number; max: number }): string {
  const show = (x: number) => (f.log2 && Number.isInteger(Math.log2(x)) ? `2^${Math.log2(x)}` : String(x));
  return `${show(b.min)}..${show(b.max)}`;
}

function shown(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (typeof raw === 'number' || typeof raw === 'boolean' || raw === null) return String(raw);
  try {
    return JSON.stringify(raw) ?? String(raw);
  } catch {
    return String(raw);
  }
}

/** The strict rule for one field, as a sentence naming the field and the allowed values. */
function rule(f: Field, b: { min: number; max: number }): string {
  switch (f.type) {
    case 'int': return `${f.key} must be an integer in ${formatRange(f, b)}`;
    case 'float': return `${f.key} must be a number in ${formatRange(f, b)}`;
    case 'enum': return `${f.key} must be one of ${f.options!.join(', ')}`;
    case 'bool': return `${f.key} must be true or false`;
    case 'intList': return `${f.key} must be a non-empty list of distinct integers in ${formatRange(f, b)}`;
  }
}

function strictOk(f: Field, raw: unknown, b: { min: number; max: number }): boolean {
  const inRange = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= b.min && x <= b.max;
  switch (f.type) {
    case 'int': return inRange(raw) && Number.isInteger(raw);
    case 'float': return inRange(raw);
    case 'enum': return typeof raw === 'string' && f.options!.includes(raw);
    case 'bool': return typeof raw === 'boolean';
    case 'intList':
      return Array.isArray(raw) && raw.length > 0 && new Set(raw).size === raw.length && raw.every((x) => inRange(x) && Number.isInteger(x));
  }
}

function toNumber(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && raw.trim() !== '') return Number(raw);
  return NaN;
}

/** Lenient reading: the value to use and, if it differs from what was given, a notice why. */
function lenient(f: Field, raw: unknown, b: { min: number; max: number }, fallback: FieldValue): { value: FieldValue; notice?: string } {
  const useDefault = (why: string) => ({ value: fallback, notice: `${f.key}: ${shown(raw)} ${why}; using the default ${shown(fallback)}` });
  switch (f.type) {
    case 'int':
    case 'float': {
      let x = toNumber(raw);
      if (!Number.isFinite(x)) return useDefault(`is not a number`);
      const notes: string[] = [];
      if (f.type === 'int' && !Number.isInteger(x)) {
        x = Math.round(x);
        notes.push(`rounded to ${x}`);
      }
      if (x < b.min || x > b.max) {
        x = Math.min(b.max, Math.max(b.min, x));
        notes.push(`out of range ${formatRange(f, b)}, clamped to ${x}`);
      }
      return { value: x, notice: notes.length ? `${f.key}: ${shown(raw)} ${notes.join(', ')}` : undefined };
    }
    case 'enum':
      return typeof raw === 'string' && f.options!.includes(raw) ? { value: raw } : useDefault(`is not one of ${f.options!.join(', ')}`);
    case 'bool':
      if (raw === true || raw === 'true' || raw === '1') return { value: true };
      if (raw === false || raw === 'false' || raw === '0') return { value: false };
      return useDefault('is not true or false');
    case 'intList': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
      const nums = items.map(toNumber);
      const kept = [...new Set(nums.filter((x) => Number.isInteger(x) && x >= b.min && x <= b.max))].sort((p, q) => p - q);
      if (kept.length === 0) return useDefault(`has no integers in ${formatRange(f, b)}`);
      const note = sameValue(nums, kept) ? undefined : `${f.key}: ${shown(raw)} kept ${kept.join(',')} (distinct integers in ${formatRange(f, b)})`;
      return { value: kept, notice: note };
    }
  }
}

function read(partial: unknown, strict: boolean): { config: RunConfig; messages: string[] } {
  const messages: string[] = [];
  let src: Record<string, unknown> = {};
  if (typeof partial === 'object' && partial !== null && !Array.isArray(partial)) src = partial as Record<string, unknown>;
  else messages.push(strict ? `config must be an object of fields (got ${shown(partial)})` : `settings ignored: not an object`);
  for (const key of Object.keys(src)) {
    if (!BY_KEY.has(key)) messages.push(strict ? `unknown field "${key}"` : `unknown setting "${key}" ignored`);
  }
  const cfg = { ...DEFAULT_CONFIG } as Record<FieldKey, FieldValue>;
  for (const f of FIELDS) {
    const b = fieldBounds(f.key, cfg as unknown as RunConfig);
    const fallback = f.key === 'targets' ? allLayers(cfg.layers as number) : taskDefault(f.key, cfg.task as RunConfig['task']);
    if (!(f.key in src) || src[f.key] === undefined) {
      cfg[f.key] = fallback;
      continue;
    }
    const raw = src[f.key];
    const { value, notice } = lenient(f, raw, b, fallback);
    cfg[f.key] = value;
    if (strict && !strictOk(f, raw, b)) messages.push(`${rule(f, b)} (got ${shown(raw)})`);
    else if (!strict && notice) messages.push(notice);
  }
  return { config: cfg as unknown as RunConfig, messages };
}

/**
 * Strict reading (CLI and JSON configs): missing fields take their defaults; an unknown field, a wrong
 * type or a value out of range is an error naming the field and the allowed range, e.g.
 * "r must be an integer in 1..128 (got -3)". `config` is always valid (bad values replaced as
 * clampConfig would); callers must refuse to run when `errors` is non-empty.
 */
export function validateConfig(partial: unknown): { config: RunConfig; errors: string[] } {
  const { config, messages } = read(partial, true);
  return { config, errors: messages };
}

/**
 * Lenient reading (links): numbers given as strings are parsed, out-of-range values are clamped,
 * non-integers rounded, garbage replaced by the default and unknown keys ignored, each with a notice
 * that starts with the field's key.
 */
export function clampConfig(partial: unknown): { config: RunConfig; notices: string[] } {
  const { config, messages } = read(partial, false);
  return { config, notices: messages };
}
