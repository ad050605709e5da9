/**
 * "What this run shows" for each preset: a few sentences computed from the sweep's results, to set
 * next to what the source found. Pure functions of the sweep (unit-tested with synthetic sweeps).
 */
import { analyzeSweep, outcomeOf, panelKey, summarizeRun, type Panel } from './analysis';
import { attnVsAllReport, learnsForgetsReport } from './lmPresetReports';
import { formatFraction } from './theory';
import type { Preset } from './presets';
import type { SweepRecord, SweepRunRecord } from './types';

const f3 = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(3))) : String(x));
const lr2 = (x: number) => `2^${Number(x.toFixed(2))}`;

function slopeLine(p: Panel): string {
  const head = p.label ? `${p.label}: ` : '';
  const pred = p.predicted.slope === null ? 'no muA prediction' : `muA predicts ${formatFraction(p.predicted.slope)}`;
  if (!p.fit) return `${head}not enough reliable optima to fit a slope (${pred}).`;
  return `${head}measured slope of log2(optimal lr) vs log2(r): ${p.fit.slope.toFixed(2)} over ${p.fit.n} ranks with a reliable optimum (${pred}).`;
}

function optimaLine(p: Panel): string {
  const parts = p.curves.filter((c) => c.optimum).map((c) => `${c.name} ${lr2(c.optimum!.x)}${c.optimum!.reliable ? '' : ' (unreliable)'}`);
  return parts.length ? `Optima: ${parts.join(', ')}.` : 'No optimum yet.';
}

/** Final loss of the ok runs matching `pick`, or NaN. */
function lossOf(runs: readonly SweepRunRecord[], pick: (r: SweepRunRecord) => boolean): number {
  const r = runs.find((x) => pick(x) && outcomeOf(x) === 'ok');
  return r ? summarizeRun(r).finalLoss : NaN;
}

function fftVsLora(p: Panel): string | null {
  const fft = p.curves.find((c) => c.fft)?.optimum;
  const lora = p.curves.filter((c) => !c.fft && c.optimum?.reliable).map((c) => c.optimum!.x);
  if (!fft || lora.length === 0) return null;
  const mean = lora.reduce((a, b) => a + b, 0) / lora.length;
  const d = mean - fft.x;
  return `Full fine-tuning's optimum is ${lr2(fft.x)}; LoRA's reliable optima average ${lr2(mean)}, ${Math.abs(d).toFixed(1)} octaves ${d >= 0 ? 'above' : 'below'} it.`;
}

function rsloraReport(s: SweepRecord): string[] {
  const lrs = [...new Set(s.runs.map((r) => r.axes.log2lr))].sort((a, b) => a - b);
  const ranks = [...new Set(s.runs.map((r) => r.axes.rank))].sort((a, b) => a - b);
  const lo = ranks[0];
  const hi = ranks[ranks.length - 1];
  return lrs.flatMap((x) =>
    (['standard', 'rslora'] as const).map((sc) => {
      const at = (rank: number) => lossOf(s.runs, (r) => r.axes.log2lr === x && r.axes.scaling === sc && r.axes.rank === rank);
      return `lr ${lr2(x)}, ${sc === 'rslora' ? 'rsLoRA' : 'standard'}: final loss ${f3(at(lo))} at r=${lo} -> ${f3(at(hi))} at r=${hi}.`;
    }),
  );
}

function alphaRankReport(s: SweepRecord): string[] {
  const ranks = [...new Set(s.runs.map((r) => r.axes.rank))].sort((a, b) => a - b);
  const lines = ranks.map((rank) => {
    const ok = s.runs.filter((r) => r.axes.rank === rank && outcomeOf(r) === 'ok');
    if (!ok.length) return `r=${rank}: no finished run.`;
    const best = ok.reduce((a, b) => (summarizeRun(b).finalLoss < summarizeRun(a).finalLoss ? b : a));
    const bad = s.runs.filter((r) => r.axes.rank === rank && ['diverged', 'collapsed'].includes(outcomeOf(r))).length;
    return `r=${rank}: best alpha ${best.config.lora_alpha} (final loss ${f3(summarizeRun(best).finalLoss)})${bad ? `, ${bad} run(s) diverged or collapsed` : ''}.`;
  });
  return lines;
}

function alphaLrReport(s: SweepRecord, panels: Panel[]): string[] {
  // Exact: alpha_eff 4, ratio 1 vs alpha_eff 1, ratio 4, same global lr.
  const alphas = [...new Set(s.runs.map((r) => r.axes.alpha))].filter((a): a is number => a !== null).sort((a, b) => a - b);
  if (alphas.length < 2) return ['Needs two alpha values.'];
  const [a1, ac] = [alphas[0], alphas[alphas.length - 1]];
  const c = ac / a1;
  let worst = 0;
  let pairs = 0;
  for (const x of new Set(s.runs.map((r) => r.axes.log2lr))) {
    const big = lossOf(s.runs, (r) => r.axes.log2lr === x && r.axes.alpha === ac && r.axes.loraPlusRatio === 1);
    const small = lossOf(s.runs, (r) => r.axes.log2lr === x && r.axes.alpha === a1 && r.axes.loraPlusRatio === c);
    if (Number.isFinite(big) && Number.isFinite(small)) {
      worst = Math.max(worst, Math.abs(big - small) / Math.abs(small));
      pairs++;
    }
  }
  const out = [pairs ? `Exact: alpha x ${c} vs B's learning rate / ${c}: the largest relative difference in final loss over ${pairs} learning rates is ${worst.toExponential(1)} (float rounding only).` : `Exact pair: no finished pairs yet.`];
  const opt = (a: number) => {
    const run = s.runs.find((r) => !r.axes.fft && r.axes.alpha === a && r.axes.loraPlusRatio === 1);
    return run ? panels.find((q) => q.key === panelKey(run.axes))?.curves.find((c) => !c.fft)?.optimum : undefined;
  };
  const o1 = opt(a1);
  const oc = opt(ac);
  if (o1 && oc) out.push(`Approximate: the alpha_eff ${ac} curve's optimum is ${lr2(oc.x)} vs ${lr2(o1.x)} for alpha_eff ${a1}: a shift of ${(oc.x - o1.x).toFixed(2)} octaves (exact equivalence would be ${(-Math.log2(c)).toFixed(2)}).`);
  return out;
}

function multiEpochReport(s: SweepRecord): string[] {
  return s.runs
    .filter((r) => outcomeOf(r) === 'ok')
    .map((r) => {
      const row = summarizeRun(r);
      const evals = r.points.filter((p) => p.evalLoss !== undefined && Number.isFinite(p.evalLoss));
      const min = evals.reduce((a, p) => (p.evalLoss! < a.evalLoss! ? p : a), evals[0]);
      const name = r.axes.fft ? 'FFT' : `r=${r.axes.rank}`;
      if (!min) return `${name}: train ${f3(row.finalLoss)}, no eval points.`;
      const rose = row.evalLoss > min.evalLoss! * 1.02;
      return `${name}: final train loss ${f3(row.finalLoss)}, eval loss ${f3(row.evalLoss)} (lowest ${f3(min.evalLoss!)} at step ${min.step}${rose ? ', then rising: overfitting' : ''}).`;
    });
}

function optimizerReport(s: SweepRecord): string[] {
  return [...new Set(s.runs.map((r) => r.axes.optimizer))].map((opt) => {
    const ok = s.runs.filter((r) => r.axes.optimizer === opt && outcomeOf(r) === 'ok');
    if (!ok.length) return `${opt}: no finished run.`;
    const best = ok.reduce((a, b) => (summarizeRun(b).finalLoss < summarizeRun(a).finalLoss ? b : a));
    return `${opt === 'sgd' ? 'SGD' : 'AdamW'}: best final loss ${f3(summarizeRun(best).finalLoss)} at lr ${lr2(best.axes.log2lr)}.`;
  });
}

/** What this sweep shows, for the preset's finding (one sentence per line). */
export function presetReport(p: Preset, s: SweepRecord, panels = analyzeSweep(s)): string[] {
  switch (p.id) {
    case 'mua-a1':
    case 'mua-a-inv-r':
    case 'lm-mua-a1':
    case 'lm-mua-a-inv-r':
      return panels.flatMap((q) => [slopeLine(q), optimaLine(q)]);
    case 'mua-b1-fft':
    case 'lm-mua-b1-fft':
    case 'lora-vs-fft':
      return panels.flatMap((q) => [slopeLine(q), fftVsLora(q) ?? optimaLine(q)]);
    case 'rslora':
      return rsloraReport(s);
    case 'alpha-rank':
      return alphaRankReport(s);
    case 'alpha-lr':
      return alphaLrReport(s, panels);
    case 'multi-epoch':
      return multiEpochReport(s);
    case 'adamw-sgd':
      return optimizerReport(s);
    case 'lm-attn-vs-all':
      return attnVsAllReport(s);
    case 'lm-learns-forgets':
      return learnsForgetsReport(s);
  }
}
