/**
 * The sweep definition in the URL, beside the settings, under keys that start with `sweep.`:
 *   sweep.ranks=1,2,4  sweep.lr=-10,-1,0.5 (from,to,step in log2)  sweep.alphaEff=1,2 | sweep.loraAlpha=8,16
 *   sweep.init=initA,initB  sweep.scaling=standard,rslora  sweep.targets=1_2,1 (sets joined by '_')
 *   sweep.lmTargets=0_2_7_9,0_1_2 (the language model's target sets, as cells of lmTargets)
 *   sweep.seeds=1,2  sweep.optimizer=adamw,sgd  sweep.loraPlus=1,4  sweep.fft=1
 * Only what differs from DEFAULT_SWEEP is written. Reading is lenient like the settings: a bad value
 * keeps the default, with a notice naming the key.
 */
import { FIELDS, LM_CELLS } from '../config/schema';
import { DEFAULT_SWEEP } from './grid';
import type { SweepDef } from './types';

export const SWEEP_PREFIX = 'sweep.';

const nums = (xs: readonly number[]) => xs.map(String).join(',');
const same = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const optionsOf = (key: string) => FIELDS.find((f) => f.key === key)!.options!;

export function sweepToQuery(def: SweepDef): string {
  const d = DEFAULT_SWEEP;
  const p: string[] = [];
  if (!same(def.ranks, d.ranks)) p.push(`ranks=${nums(def.ranks)}`);
  if (def.lr.from !== d.lr.from || def.lr.to !== d.lr.to || def.lr.step !== d.lr.step) p.push(`lr=${nums([def.lr.from, def.lr.to, def.lr.step])}`);
  if (def.alpha) p.push(`${def.alpha.kind}=${nums(def.alpha.values)}`);
  if (def.inits.length) p.push(`init=${def.inits.join(',')}`);
  if (def.scalings.length) p.push(`scaling=${def.scalings.join(',')}`);
  if (def.targets.length) p.push(`targets=${def.targets.map((t) => t.join('_')).join(',')}`);
  if (def.lmTargets.length) p.push(`lmTargets=${def.lmTargets.map((t) => t.join('_')).join(',')}`);
  if (def.seeds.length) p.push(`seeds=${nums(def.seeds)}`);
  if (def.optimizers.length) p.push(`optimizer=${def.optimizers.join(',')}`);
  if (def.loraPlusRatios.length) p.push(`loraPlus=${nums(def.loraPlusRatios)}`);
  if (def.includeFft) p.push('fft=1');
  return p.map((s) => SWEEP_PREFIX + s).join('&');
}

/** Split a query into its `sweep.` parts (key without the prefix -> raw value) and everything else. */
export function splitSweepQuery(query: string): { sweep: Record<string, string>; rest: string } {
  const sweep: Record<string, string> = {};
  const rest: string[] = [];
  for (const part of query.replace(/^[?#]/, '').split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key.startsWith(SWEEP_PREFIX)) sweep[key.slice(SWEEP_PREFIX.length)] = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    else rest.push(part);
  }
  return { sweep, rest: rest.join('&') };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function numList(raw: string, ok: (x: number) => boolean): number[] | null {
  const xs = raw.split(',').filter((s) => s.trim() !== '').map(Number);
  return xs.length > 0 && xs.every((x) => Number.isFinite(x) && ok(x)) ? xs : null;
}

function enumList<T extends string>(raw: string, options: readonly string[]): T[] | null {
  const xs = raw.split(',').filter((s) => s !== '');
  return xs.length > 0 && xs.every((x) => options.includes(x)) ? [...new Set(xs)] as T[] : null;
}

/** The sweep definition from `sweep.` parts (as splitSweepQuery gives them), with notices for bad values. */
export function partsToSweep(parts: Record<string, string>): { def: SweepDef; notices: string[] } {
  const def: SweepDef = structuredClone(DEFAULT_SWEEP) as SweepDef;
  const notices: string[] = [];
  const bad = (key: string, why: string) => notices.push(`${SWEEP_PREFIX}${key}: "${parts[key]}" ${why}; using the default`);
  for (const [key, raw] of Object.entries(parts)) {
    switch (key) {
      case 'ranks': {
        const xs = numList(raw, (x) => Number.isInteger(x) && x >= 1);
        if (xs) def.ranks = [...new Set(xs)].sort((a, b) => a - b);
        else bad(key, 'is not a list of positive integers');
        break;
      }
      case 'lr': {
        const xs = numList(raw, () => true);
        if (xs && xs.length === 3 && xs[1] >= xs[0] && xs[2] > 0) def.lr = { from: xs[0], to: xs[1], step: xs[2] };
        else bad(key, 'is not from,to,step (log2 exponents, to >= from, step > 0)');
        break;
      }
      case 'alphaEff':
      case 'loraAlpha': {
        const xs = numList(raw, (x) => x > 0);
        if (xs) def.alpha = { kind: key, values: xs };
        else bad(key, 'is not a list of positive numbers');
        break;
      }
      case 'init':
      case 'scaling':
      case 'optimizer': {
        const xs = enumList(raw, optionsOf(key));
        if (!xs) bad(key, `is not a list of ${optionsOf(key).join(', ')}`);
        else if (key === 'init') def.inits = xs as SweepDef['inits'];
        else if (key === 'scaling') def.scalings = xs as SweepDef['scalings'];
        else def.optimizers = xs as SweepDef['optimizers'];
        break;
      }
      case 'targets':
      case 'lmTargets': {
        const lo = key === 'targets' ? 1 : 0;
        const hi = key === 'targets' ? Infinity : LM_CELLS - 1;
        const sets = raw.split(',').map((s) => numList(s.replace(/_/g, ','), (x) => Number.isInteger(x) && x >= lo && x <= hi));
        const ok = sets.length > 0 && sets.every((s) => s !== null);
        if (ok) def[key] = sets.map((s) => [...new Set(s!)].sort((a, b) => a - b));
        else bad(key, key === 'targets' ? 'is not a list of layer sets like 1_2,1' : `is not a list of cell sets like 0_2_7_9,3 (cells 0..${LM_CELLS - 1})`);
        break;
      }
      case 'seeds': {
        const xs = numList(raw, (x) => Number.isInteger(x) && x >= 0 && x <= 4294967295);
        if (xs) def.seeds = [...new Set(xs)];
        else bad(key, 'is not a list of seeds (integers 0..4294967295)');
        break;
      }
      case 'loraPlus': {
        const xs = numList(raw, (x) => x >= 1);
        if (xs) def.loraPlusRatios = xs;
        else bad(key, 'is not a list of ratios >= 1');
        break;
      }
      case 'fft':
        if (raw === '1' || raw === 'true') def.includeFft = true;
        else if (raw !== '0' && raw !== 'false') bad(key, 'is not 1 or 0');
        break;
      default:
        notices.push(`unknown sweep setting "${SWEEP_PREFIX}${key}" ignored`);
    }
  }
  return { def, notices };
}

/** Read the sweep part of a link's query or hash. */
export function queryToSweep(query: string): { def: SweepDef; notices: string[] } {
  return partsToSweep(splitSweepQuery(query).sweep);
}
