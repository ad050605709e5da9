/**
 * Pure helpers behind the generated controls: committing one field's raw value through the schema's
 * validation, log2 slider positions, and how values are shown. No React here, so it is unit-tested.
 */
import { sci } from '../format';
import { TASK_PRESETS, allLayers, clampConfig, fieldBounds, formatRange, sameValue, validateConfig, type Field, type FieldKey, type FieldValue, type RunConfig } from '../config/schema';

export type Commit = { ok: true; config: RunConfig; notices: string[] } | { ok: false; error: string };

/**
 * The config after setting `key` to `raw` (a number, string or list as the control produced it).
 * The field's own value is checked strictly (validateConfig), so a bad entry gives an error that names
 * the field and its range and changes nothing. Fields that depend on it (r <= width, targets <= L) are
 * then clamped leniently, each with a notice, so the result always satisfies every rule.
 */
export function commitField(cfg: RunConfig, key: FieldKey, raw: unknown): Commit {
  const trial: Record<string, unknown> = { ...cfg, [key]: raw };
  // a new task brings the settings that suit it (TASK_PRESETS)
  if (key === 'task' && raw !== cfg.task && (raw === 'toy' || raw === 'lm')) Object.assign(trial, TASK_PRESETS[raw]);
  // "All layers" stays all layers when L changes (the URL's default for targets means the same).
  if (key === 'layers' && sameValue(cfg.targets, allLayers(cfg.layers)) && Number.isInteger(raw)) trial.targets = allLayers(raw as number);
  const own = validateConfig(trial).errors.find((e) => e.startsWith(`${key} `));
  if (own) return { ok: false, error: own };
  const { config, notices } = clampConfig(trial);
  return { ok: true, config, notices };
}

/** A number input's text as the value to validate: a number when it parses, else the text itself. */
export function parseNumberText(text: string): number | string {
  const t = text.trim();
  if (t === '') return text;
  const x = Number(t);
  return Number.isFinite(x) ? x : text;
}

/** Slider positions of a log2 field: exponents in half steps within its bounds. */
export function log2Steps(f: Field): { min: number; max: number; step: number } {
  return { min: Math.ceil(2 * Math.log2(f.min!)) / 2, max: Math.floor(2 * Math.log2(f.max!)) / 2, step: 0.5 };
}

/** The exponent shown for a value: exact half steps as is, anything else to two decimals. */
export function log2Of(x: number): number {
  const k = Math.log2(x);
  const half = Math.round(k * 2) / 2;
  return Math.abs(k - half) < 1e-9 ? half : Math.round(k * 100) / 100;
}


/** The learning rate as "2^-7 = 7.8e-3". */
export function formatLog2Value(x: number): string {
  return `2^${log2Of(x)} = ${sci(x)}`;
}




/** Text of enum options (the value stays the schema's key, which is what the URL carries). */
const OPTION_TEXT: Record<string, string> = {
  gelu_tanh: 'GELU (tanh)',
  relu: 'ReLU',
  mse: 'MSE (regression)',
  ce: 'Cross-entropy (classification)',
  lora: 'LoRA',
  fft: 'Full fine-tuning (FFT)',
  standard: 'standard: α / r',
  rslora: 'rsLoRA: α / √r',
  toy: 'Toy MLP (recover a hidden low-rank change)',
  lm: 'Language model (tiny Llama, bytes)',
  shakespeare: "Shakespeare's plays",
  kjv: 'King James Bible (the pretraining text)',
  user: 'Your own text',
  initA: 'Init[A]: A ~ N(0, 1/dIn), B = 0',
  initB: 'Init[B]: B ~ N(0, 1/r), A = 0',
  peft: 'PEFT default (kaiming A, B = 0)',
  gaussian: 'PEFT gaussian',
  adamw: 'AdamW',
  sgd: 'SGD',
  constant: 'constant',
  cosine: 'cosine',
};

export function optionText(option: string): string {
  return OPTION_TEXT[option] ?? option;
}

/** Why a field has no effect with the other settings, or null when it is in use (it is dimmed, not hidden). */
export function unusedBecause(key: FieldKey, cfg: RunConfig): string | null {
  const loraOnly: FieldKey[] = ['r', 'lora_alpha', 'scaling', 'init', 'lora_dropout', 'loraPlusRatio'];
  if (cfg.mode === 'fft' && loraOnly.includes(key)) return 'not used by full fine-tuning';
  if (cfg.optimizer === 'adamw' && key === 'momentum') return 'used by SGD only';
  if (cfg.optimizer === 'sgd' && (key === 'beta1' || key === 'beta2' || key === 'eps')) return 'used by AdamW only';
  if (cfg.schedule === 'constant' && (key === 'warmup' || key === 'minLrRatio')) return 'used by the cosine schedule only';
  return null;
}

/** The allowed range shown beside a control, e.g. "1..128" or "2^-20..2^4". */
export function rangeText(f: Field, cfg: RunConfig): string {
  if (f.type === 'enum' || f.type === 'bool') return '';
  const b = fieldBounds(f.key, cfg);
  if (f.key === 'lmTargets') return '';
  return f.type === 'intList' ? `layers ${b.min}..${b.max}` : formatRange(f, b);
}

/** A value as a number input shows it. */
export function valueText(v: FieldValue): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}
