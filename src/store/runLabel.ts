/** A run's legend label: the settings that tell runs apart, in PEFT's words. */
import { alphaEff, type RunConfig } from '../config/schema';
import { formatTargetSet } from '../tasks/lmTargets';

export function formatLr(lr: number): string {
  const k = Math.log2(lr);
  const exact = Math.abs(k - Math.round(k * 2) / 2) < 1e-9;
  return exact ? `2^${Math.round(k * 2) / 2}` : lr.toExponential(1);
}

export function runLabel(c: RunConfig): string {
  const opt = c.optimizer === 'sgd' ? ' sgd' : '';
  const lm = c.task === 'lm' ? ` · ${formatTargetSet(c.lmTargets)}` : '';
  if (c.mode === 'fft') return `FFT lr=${formatLr(c.lr)}${opt}${lm}`;
  const rs = c.scaling === 'rslora' ? ' rsLoRA' : '';
  return `r=${c.r} α=${c.lora_alpha} (α_eff=${+alphaEff(c).toPrecision(3)}) lr=${formatLr(c.lr)} ${c.init}${rs}${opt}${lm}`;
}
