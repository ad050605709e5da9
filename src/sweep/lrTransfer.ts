/**
 * Carrying the learning rate to another rank: from one panel of a finished sweep (analysis.ts), the
 * measured slope of log2(eta*) against log2(r) next to the muA rule's (theory.ts), and the optimum at a
 * rank that was not run, predicted two ways:
 *   rule-anchored: the rule's slope k held fixed, the intercept by least squares over the reliable optima,
 *                  which for a fixed slope is the mean of (log2 eta* - k log2 r);
 *   measured fit:  the least-squares line through the same optima (its own slope).
 * A leave-one-rank-out check says how far to trust the first: each rank's optimum predicted from the
 * others, the error in octaves (log2 units). With fewer than 3 reliable ranks there is nothing to leave
 * out, so no prediction is made. Everything here is in log2(lr), like the analysis.
 */
import { fitLine } from './fit';
import type { Panel } from './analysis';
import { formatFraction } from './theory';

/** Beyond these the rule is said not to hold on this task. */
export const SLOPE_TOLERANCE = 0.25;
export const LOO_TOLERANCE = 1; // octaves
/** Leaving one rank out must leave at least two for a fit to say anything. */
export const MIN_RANKS = 3;

export interface RankOptimum {
  rank: number;
  log2lr: number;
}

export interface LooRow {
  rank: number;
  measured: number; // log2 eta*
  predicted: number; // from the other ranks
  error: number; // predicted - measured, octaves
}

export interface FftTransfer {
  /** FFT's own optimum (log2 lr) and whether the analysis trusts it; null when no FFT run was ok. */
  measured: number | null;
  reliable: boolean;
  /** What the rule says FFT's optimum is, from the LoRA optima; null when the rule ties nothing to FFT. */
  predicted: number | null;
}

export interface LrTransfer {
  /** The reliable LoRA optima the fits use, by rank. */
  optima: RankOptimum[];
  measuredSlope: number | null;
  ruleSlope: number | null;
  rule: string;
  rank: number;
  /** Predicted log2 eta* at `rank`; null with `reason`. */
  fromRule: number | null;
  fromFit: number | null;
  reason: string | null;
  /** Leave-one-rank-out rows: with the rule's slope, or the measured fit's when there is no rule. */
  loo: LooRow[];
  looBasis: 'rule' | 'fit';
  looMae: number | null;
  fft: FftTransfer | null;
  /** Why the rule does not hold here, in words; null when it does (or there is nothing to judge). */
  warning: string | null;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The intercept of the line with slope k closest (least squares) to the points. */
export function anchoredIntercept(pts: readonly RankOptimum[], k: number): number {
  return mean(pts.map((p) => p.log2lr - k * Math.log2(p.rank)));
}

/** Each point predicted from the others by `predict` (given the rest and the rank left out). */
export function leaveOneOut(pts: readonly RankOptimum[], predict: (rest: RankOptimum[], rank: number) => number | null): LooRow[] {
  return pts.flatMap((p, i) => {
    const y = predict(
      pts.filter((_, j) => j !== i),
      p.rank,
    );
    return y === null ? [] : [{ rank: p.rank, measured: p.log2lr, predicted: y, error: y - p.log2lr }];
  });
}

const ruleAt = (k: number) => (rest: readonly RankOptimum[], rank: number) => anchoredIntercept(rest, k) + k * Math.log2(rank);
const fitAt = (rest: readonly RankOptimum[], rank: number) => {
  const l = fitLine(
    rest.map((p) => Math.log2(p.rank)),
    rest.map((p) => p.log2lr),
  );
  return l && l.slope * Math.log2(rank) + l.intercept;
};

const INIT_NAME: Record<Panel['init'], string> = { initA: 'Init[A]', initB: 'Init[B]', peft: "PEFT's default init", gaussian: 'PEFT gaussian init' };

/** The sentence that says the rule fails here, or null. */
function judge(ruleSlope: number | null, measured: number | null, mae: number | null, basis: 'rule' | 'fit', init: Panel['init']): string | null {
  const parts: string[] = [];
  if (ruleSlope !== null && measured !== null && Math.abs(measured - ruleSlope) > SLOPE_TOLERANCE) {
    const m = measured.toFixed(2);
    parts.push(
      ruleSlope === 0
        ? `${INIT_NAME[init]} is not rank-invariant here: the measured slope is ${m}`
        : `${INIT_NAME[init]} does not follow eta* ~ r^${formatFraction(ruleSlope)} here: the measured slope is ${m}`,
    );
  }
  if (mae !== null && mae > LOO_TOLERANCE) {
    const how = basis === 'rule' ? "the rule's slope" : 'the measured fit';
    parts.push(`predicting each rank's optimum from the others with ${how} misses by ${mae.toFixed(2)} octaves on average (more than ${LOO_TOLERANCE})`);
  }
  if (parts.length === 0) return null;
  const s = parts.join('; ');
  return `${s[0].toUpperCase()}${s.slice(1)}.`;
}

/** The learning-rate transfer of one panel to `rank` (see the top of this file). */
export function lrTransfer(panel: Panel, rank: number): LrTransfer {
  const optima = panel.curves
    .filter((c) => !c.fft && c.optimum?.reliable)
    .map((c) => ({ rank: c.rank!, log2lr: c.optimum!.x }))
    .sort((a, b) => a.rank - b.rank);
  const ruleSlope = panel.predicted.slope;
  const line = fitLine(
    optima.map((p) => Math.log2(p.rank)),
    optima.map((p) => p.log2lr),
  );
  const measuredSlope = line?.slope ?? null;
  const enough = optima.length >= MIN_RANKS;
  const validRank = Number.isInteger(rank) && rank >= 1;
  const reason = !enough
    ? `only ${optima.length} reliable optim${optima.length === 1 ? 'um' : 'a'}: at least ${MIN_RANKS} ranks are needed to predict and to check the prediction`
    : !validRank
      ? 'the rank must be a whole number of at least 1'
      : null;
  const go = enough && validRank;
  const fromRule = go && ruleSlope !== null ? ruleAt(ruleSlope)(optima, rank) : null;
  const fromFit = go && line ? line.slope * Math.log2(rank) + line.intercept : null;
  const looBasis = ruleSlope !== null ? 'rule' : 'fit';
  const loo = enough ? leaveOneOut(optima, looBasis === 'rule' ? ruleAt(ruleSlope!) : fitAt) : [];
  const looMae = loo.length ? mean(loo.map((r) => Math.abs(r.error))) : null;
  const fftCurve = panel.curves.find((c) => c.fft);
  // muA ties LoRA's optimum to full fine-tuning's only for Init[B] with a rank-invariant scaling.
  const tied = panel.init === 'initB' && ruleSlope === 0;
  const fft: FftTransfer | null = fftCurve
    ? {
        measured: fftCurve.optimum?.x ?? null,
        reliable: fftCurve.optimum?.reliable ?? false,
        predicted: tied && optima.length > 0 ? anchoredIntercept(optima, 0) : null,
      }
    : null;
  return {
    optima,
    measuredSlope,
    ruleSlope,
    rule: panel.predicted.rule,
    rank,
    fromRule,
    fromFit,
    reason,
    loo,
    looBasis,
    looMae,
    fft,
    // Two optima always fit a line exactly and leave nothing to check against: judged from three on.
    warning: enough ? judge(ruleSlope, measuredSlope, looMae, looBasis, panel.init) : null,
  };
}

export interface ChosenLr {
  log2lr: number;
  from: 'rule' | 'fit';
}

/**
 * The prediction to put into the page's config: the rule-anchored one while the rule holds on this
 * task, else the measured fit (the rule has just been shown not to carry here); null when neither exists.
 */
export function chosenLr(t: LrTransfer): ChosenLr | null {
  if (t.fromRule !== null && t.warning === null) return { log2lr: t.fromRule, from: 'rule' };
  return t.fromFit === null ? null : { log2lr: t.fromFit, from: 'fit' };
}
