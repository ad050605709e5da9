/**
 * What a language-model sweep learned and what it forgot (Biderman et al. 2024's two axes): each
 * finished run's last held-out losses on its fine-tuning text (evalLosses[0]: learned) and on the
 * pretraining text (evalLosses[1]: forgotten), and the base model's, read at the first logged point of
 * any run (step 1; with warmup, the first step's learning rate is 0, so that point is the base itself).
 * Losses in nats per byte, as logged; runs are grouped into curves by rank (or FFT), plus the other
 * axes that vary, so a curve is what the muA chart would draw as one line.
 */
import { outcomeOf } from './analysis';
import type { RunAxes, SweepRunRecord } from './types';

export interface EvalPair {
  run: SweepRunRecord;
  /** 'r=8', 'FFT', or with the axes that vary: 'r=8 · modules=q+v'. */
  curve: string;
  fft: boolean;
  rank: number | null;
  /** Held-out loss on the fine-tuning text, then on the pretraining text. */
  target: number;
  pretrain: number;
}

export function baseEvals(runs: readonly SweepRunRecord[]): { target: number; pretrain: number } | null {
  for (const r of runs) {
    const e = r.points[0]?.evalLosses;
    if (e && e.length >= 2 && Number.isFinite(e[0]) && Number.isFinite(e[1])) return { target: e[0], pretrain: e[1] };
  }
  return null;
}

/** Axes besides rank, lr and seed that tell curves apart, with their names in curve labels. */
const CURVE_AXES: [keyof RunAxes, string][] = [['lmTargets', 'modules'], ['init', 'init'], ['alpha', 'alpha'], ['scaling', 'scaling'], ['optimizer', 'optimizer'], ['loraPlusRatio', 'LoRA+']];
const SHARED_WITH_FFT: (keyof RunAxes)[] = ['lmTargets', 'optimizer'];

function lastPair(r: SweepRunRecord): [number, number] | null {
  for (let i = r.points.length - 1; i >= 0; i--) {
    const e = r.points[i].evalLosses;
    if (e && e.length >= 2) return Number.isFinite(e[0]) && Number.isFinite(e[1]) ? [e[0], e[1]] : null;
  }
  return null;
}

/** Every run that finished ok with both held-out losses, in curve order (ranks ascending, FFT last). */
export function evalPairs(runs: readonly SweepRunRecord[]): EvalPair[] {
  const lora = runs.filter((r) => !r.axes.fft);
  const varying = CURVE_AXES.filter(([k]) => new Set(lora.map((r) => String(r.axes[k]))).size > 1);
  const label = (r: SweepRunRecord) => {
    const keys = r.axes.fft ? varying.filter(([k]) => SHARED_WITH_FFT.includes(k)) : varying;
    return [r.axes.fft ? 'FFT' : `r=${r.axes.rank}`, ...keys.map(([k, name]) => `${name}=${r.axes[k]}`)].join(' · ');
  };
  const out: EvalPair[] = [];
  for (const run of runs) {
    const pair = lastPair(run);
    if (!pair || outcomeOf(run) !== 'ok') continue;
    out.push({ run, curve: label(run), fft: run.axes.fft, rank: run.axes.fft ? null : run.axes.rank, target: pair[0], pretrain: pair[1] });
  }
  const key = (p: EvalPair) => [p.fft ? 1 : 0, p.fft ? 0 : p.rank!] as const;
  return out.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1] || a.curve.localeCompare(b.curve));
}

/** Each curve's run with the lowest fine-tuning-text loss (its best learning rate), in curve order. */
export function bestPerCurve(pairs: readonly EvalPair[]): EvalPair[] {
  const best = new Map<string, EvalPair>();
  for (const p of pairs) if (!best.has(p.curve) || p.target < best.get(p.curve)!.target) best.set(p.curve, p);
  return [...best.values()];
}
