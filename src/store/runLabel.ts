/** A run's legend label: the settings that tell runs apart, in PEFT's words. */
import { alphaEff, LM_LAYERS, type RunConfig } from '../config/schema';
import { cellsAsGrid, MODULE_TYPES } from '../tasks/llamaModel';

export function formatLr(lr: number): string {
  const k = Math.log2(lr);
  const exact = Math.abs(k - Math.round(k * 2) / 2) < 1e-9;
  return exact ? `2^${Math.round(k * 2) / 2}` : lr.toExponential(1);
}

export function runLabel(c: RunConfig): string {
  const opt = c.optimizer === 'sgd' ? ' sgd' : '';
  const lm = c.task === 'lm' ? ` · ${lmTargetsText(c.lmTargets)}` : '';
  if (c.mode === 'fft') return `FFT lr=${formatLr(c.lr)}${opt}${lm}`;
  const rs = c.scaling === 'rslora' ? ' rsLoRA' : '';
  return `r=${c.r} α=${c.lora_alpha} (α_eff=${+alphaEff(c).toPrecision(3)}) lr=${formatLr(c.lr)} ${c.init}${rs}${opt}${lm}`;
}

/** "q,v on layers 0,1", "all linear", or the cell count when the cells are no grid. */
export function lmTargetsText(cells: readonly number[]): string {
  const g = cellsAsGrid(cells);
  if (!g) return `${cells.length} projections`;
  const types = g.types.length === MODULE_TYPES.length ? 'all linear' : g.types.map((t) => t.replace('_proj', '')).join(',');
  return g.layers.length === LM_LAYERS ? types : `${types} on layer${g.layers.length > 1 ? 's' : ''} ${g.layers.join(',')}`;
}
