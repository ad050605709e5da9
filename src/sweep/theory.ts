/**
 * What the muA paper (Chen, Villar, Hayou; ../shared/research/LORA_FACTS.md) predicts for the slope of
 * log2(optimal lr) against log2(r), with Adam. muA's multiplier is the LoRA scaling s; write s ~ r^-gamma:
 *   standard scaling, alpha_eff fixed (lora_alpha = alpha_eff r): s = alpha_eff          -> gamma = 0
 *   standard scaling, lora_alpha fixed:                          s = lora_alpha / r      -> gamma = 1
 *   rsLoRA, lora_alpha fixed:                                    s = lora_alpha / sqrt r -> gamma = 1/2
 *   rsLoRA, alpha_eff fixed:                                     s = alpha_eff sqrt r    -> gamma = -1/2
 * Init[A] (A random, B = 0; PEFT's default init is the same up to A's variance): eta* ~ r^-(1-gamma)/2,
 * so -1/2 (alpha_eff = 1), 0 (alpha_eff = 1/r), -1/4 (rsLoRA). Init[B] with alpha_eff = 1: rank-invariant (0)
 * and equal to full fine-tuning's optimum. Other cases have no stated rule: no prediction.
 * The theory is asymptotic (large width and rank); a small model follows it only roughly.
 */
import type { InitScheme } from '../config/schema';
import type { Scaling } from './types';

export interface Prediction {
  slope: number | null;
  /** The rule in words, e.g. "Init[A], alpha_eff fixed: eta* ~ r^-1/2". */
  rule: string;
}

/** gamma in s ~ r^-gamma for a scaling rule and what is held fixed across ranks. */
export function scalingExponent(scaling: Scaling, fixed: 'alphaEff' | 'loraAlpha'): number {
  if (scaling === 'standard') return fixed === 'alphaEff' ? 0 : 1;
  return fixed === 'alphaEff' ? -0.5 : 0.5;
}

const frac = (x: number): string => {
  if (x === 0) return '0';
  const q = Math.round(x * 4);
  if (Math.abs(q - x * 4) < 1e-9) {
    const sign = q < 0 ? '-' : '';
    const a = Math.abs(q);
    return a % 4 === 0 ? `${sign}${a / 4}` : a % 2 === 0 ? `${sign}${a / 2}/2` : `${sign}${a}/4`;
  }
  return x.toFixed(3);
};

/** The predicted slope of log2(eta*) vs log2(r) for a panel's init, scaling and fixed alpha quantity. */
export function predictedSlope(init: InitScheme, scaling: Scaling, fixed: 'alphaEff' | 'loraAlpha'): Prediction {
  const gamma = scalingExponent(scaling, fixed);
  const held = fixed === 'alphaEff' ? 'alpha_eff fixed' : 'lora_alpha fixed';
  const what = `${scaling === 'rslora' ? 'rsLoRA' : 'standard scaling'}, ${held} (s ~ r^${frac(-gamma)})`;
  if (init === 'initA' || init === 'peft') {
    const slope = -(1 - gamma) / 2 + 0; // + 0 turns -0 into 0
    return { slope, rule: `Init[A], ${what}: eta* ~ r^${frac(slope)}` };
  }
  if (init === 'initB') {
    if (gamma === 0) return { slope: 0, rule: `Init[B], ${what}: eta* rank-invariant, equal to full fine-tuning's` };
    return { slope: null, rule: `Init[B], ${what}: muA states no rule for this case` };
  }
  return { slope: null, rule: `PEFT gaussian init (A's scale depends on r): muA states no rule for this case` };
}

export { frac as formatFraction };
