/**
 * "What this run shows" for the language-model presets that are not muA charts (presetReports.ts has
 * those): attention vs all linear layers at an equal parameter budget, and learning vs forgetting.
 * Losses are the held-out ones (the fine-tuning text's, and the pretraining text's), said in bits per
 * byte. Pure functions of the sweep.
 */
import { bitsPerByte } from '../metrics/bits';
import { targetParams } from '../tasks/lmTargets';
import { outcomeOf, summarizeRun } from './analysis';
import { baseEvals, bestPerCurve, evalPairs, type EvalPair } from './forgetting';
import type { SweepRecord, SweepRunRecord } from './types';

const bits = (nats: number) => String(Number(bitsPerByte(nats).toPrecision(3)));
const signedBits = (nats: number) => `${nats >= 0 ? '+' : '-'}${bits(Math.abs(nats))}`;
const lr2 = (x: number) => `2^${Number(x.toFixed(2))}`;
const count = (n: number) => n.toLocaleString('en');
/** Budgets this close count as equal. */
const EQUAL_BUDGET = 0.1;

interface Cell {
  set: string;
  rank: number;
  params: number;
  best: SweepRunRecord;
  evalLoss: number;
}

/** Per target set and rank: the run with the lowest held-out loss on the fine-tuning text, over learning rates. */
function bestCells(runs: readonly SweepRunRecord[]): Cell[] {
  const cells = new Map<string, Cell>();
  for (const r of runs) {
    if (r.axes.fft || outcomeOf(r) !== 'ok') continue;
    const e = summarizeRun(r).evalLoss;
    if (!Number.isFinite(e)) continue;
    const k = `${r.axes.lmTargets}/${r.axes.rank}`;
    const c = cells.get(k);
    if (!c || e < c.evalLoss) cells.set(k, { set: r.axes.lmTargets, rank: r.axes.rank, params: targetParams(r.config.lmTargets, 'lora', r.config.r), best: r, evalLoss: e });
  }
  return [...cells.values()].sort((a, b) => a.params - b.params);
}

export function attnVsAllReport(s: SweepRecord): string[] {
  const cells = bestCells(s.runs);
  if (cells.length === 0) return ['No finished run yet.'];
  const lines = cells.map((c) => `${c.set} at r=${c.rank} (${count(c.params)} trainable parameters): best held-out loss ${bits(c.evalLoss)} bits/byte, at lr ${lr2(c.best.axes.log2lr)}.`);
  const pairs: [Cell, Cell][] = [];
  for (const a of cells) for (const b of cells) if (a.set < b.set && Math.abs(a.params / b.params - 1) <= EQUAL_BUDGET) pairs.push([a, b]);
  if (pairs.length === 0) lines.push(`No two target sets train an equal budget (within ${EQUAL_BUDGET * 100}%) here.`);
  for (const [a, b] of pairs) {
    const [win, lose] = a.evalLoss <= b.evalLoss ? [a, b] : [b, a];
    const all = win.set === 'all' ? ', as the sources found' : lose.set === 'all' ? ', unlike the sources' : '';
    lines.push(`Equal budget (${a.set} r=${a.rank}: ${count(a.params)}; ${b.set} r=${b.rank}: ${count(b.params)}): ${win.set} wins by ${bits(lose.evalLoss - win.evalLoss)} bits/byte (${bits(win.evalLoss)} vs ${bits(lose.evalLoss)})${all}.`);
  }
  return lines;
}

/** Whether xs never falls (rises), in order. */
const rising = (xs: number[]) => xs.every((x, i) => i === 0 || x >= xs[i - 1]);

/**
 * Does a quantity grow with rank (over the LoRA curves, ranks ascending) and is it largest for FFT?
 * `more` says which way is more: a lower fine-tuning-text loss is more learned, a higher
 * pretraining-text loss more forgotten. null where the sweep cannot tell (one rank, or no FFT).
 */
function trend(best: EvalPair[], of: (p: EvalPair) => number, more: 'higher' | 'lower'): { ranks: boolean | null; fft: boolean | null } {
  const lora = best.filter((b) => !b.fft);
  const fft = best.find((b) => b.fft);
  const xs = lora.map((b) => (more === 'higher' ? of(b) : -of(b)));
  const f = fft ? (more === 'higher' ? of(fft) : -of(fft)) : NaN;
  return { ranks: lora.length >= 2 ? rising(xs) : null, fft: fft && lora.length ? xs.every((x) => f >= x) : null };
}

export function learnsForgetsReport(s: SweepRecord): string[] {
  const base = baseEvals(s.runs);
  const best = bestPerCurve(evalPairs(s.runs));
  if (!base || best.length === 0) return ['No finished run with both held-out losses yet.'];
  const lines = [`Base model (step 1): ${bits(base.target)} bits/byte on the held-out fine-tuning text, ${bits(base.pretrain)} on the held-out pretraining text.`];
  for (const b of best)
    lines.push(`${b.curve} at its best lr ${lr2(b.run.axes.log2lr)}: fine-tuning text ${bits(b.target)} (learned ${signedBits(base.target - b.target)}), pretraining text ${bits(b.pretrain)} (forgot ${signedBits(b.pretrain - base.pretrain)}) bits/byte.`);
  const learned = trend(best, (b) => b.target, 'lower');
  const forgot = trend(best, (b) => b.pretrain, 'higher');
  const say = (what: string, t: { ranks: boolean | null; fft: boolean | null }, rankText: string, fftText: string) => {
    const parts = [t.ranks === null ? null : `${t.ranks ? '' : 'not '}${rankText}`, t.fft === null ? null : `${t.fft ? '' : 'not '}${fftText}`].filter(Boolean);
    if (parts.length) lines.push(`${what}: ${parts.join('; ')}.`);
  };
  say('Learning', learned, 'more with every higher rank', 'most with full fine-tuning');
  say('Forgetting', forgot, 'more with every higher rank', 'most with full fine-tuning');
  const agrees = learned.ranks !== false && learned.fft !== false && forgot.ranks !== false && forgot.fft !== false;
  lines.push(agrees ? 'This sweep agrees with the paper: LoRA learned less and forgot less, more so at lower ranks.' : 'This sweep does not follow the paper everywhere (one seed at 100 steps is noisy; see the scatter chart for every run).');
  return lines;
}
