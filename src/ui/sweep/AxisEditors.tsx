/**
 * Editors for the sweep's axes. Lists are typed as text and committed on Enter or when the field loses
 * focus; a list that does not parse keeps the old value and says why. An optional axis left empty (or
 * with no box ticked) is not swept: its value comes from the settings.
 */
import { useEffect, useState } from 'react';
import type { InitScheme, RunConfig } from '../../config/schema';
import { lrValues } from '../../sweep/grid';
import { formatTargetSets, parseTargetSets } from '../../tasks/lmTargets';
import type { SweepDef } from '../../sweep/types';
import { optionText } from '../fields';

type Parse = (text: string) => number[] | string;

const numbers =
  (ok: (x: number) => boolean, rule: string, sort = true): Parse =>
  (text) => {
    const parts = text.split(/[\s,;]+/).filter(Boolean);
    const xs = parts.map(Number);
    if (!xs.every((x) => Number.isFinite(x) && ok(x))) return `must be ${rule}`;
    const uniq = [...new Set(xs)];
    return sort ? uniq.sort((a, b) => a - b) : uniq;
  };

export const parseRanks = numbers((x) => Number.isInteger(x) && x >= 1, 'positive integers, e.g. 1, 2, 4, 8');
const parseAlphas = numbers((x) => x > 0, 'numbers above 0, e.g. 0.5, 1, 2');
const parseSeeds = numbers((x) => Number.isInteger(x) && x >= 0 && x <= 4294967295, 'integers 0..4294967295', false);
const parsePlus = numbers((x) => x >= 1, 'ratios of at least 1, e.g. 1, 4, 16');

/** "1+2; 2" -> [[1, 2], [2]]. */
export function parseTargets(text: string): number[][] | string {
  const sets = text.split(';').map((s) => s.trim()).filter(Boolean);
  const out: number[][] = [];
  for (const s of sets) {
    const xs = s.split(/[\s+,]+/).filter(Boolean).map(Number);
    if (xs.length === 0 || !xs.every((x) => Number.isInteger(x) && x >= 1)) return 'must be sets of layer numbers, e.g. 1+2; 2';
    out.push([...new Set(xs)].sort((a, b) => a - b));
  }
  return out;
}

function TextList<T>(props: { label: string; help: string; value: T[]; format(v: T[]): string; parse(t: string): T[] | string; onCommit(v: T[]): void; placeholder?: string }) {
  const shown = props.format(props.value);
  const [text, setText] = useState(shown);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setText(shown), [shown]);
  const commit = () => {
    const v = props.parse(text);
    if (typeof v === 'string') setError(`${props.label} ${v}`);
    else {
      setError(null);
      props.onCommit(v);
    }
  };
  return (
    <label className="axis" title={props.help}>
      <span className="axis-label">{props.label}</span>
      <input type="text" value={text} placeholder={props.placeholder ?? 'from the settings'} aria-invalid={error ? true : undefined} onChange={(e) => setText(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === 'Enter' && commit()} />
      {error && <span className="field-error">{error}</span>}
    </label>
  );
}

function Checks<T extends string>(props: { label: string; options: readonly T[]; value: T[]; onChange(v: T[]): void }) {
  return (
    <fieldset className="axis checks">
      <legend className="axis-label">{props.label}</legend>
      {props.options.map((o) => (
        <label key={o} title={optionText(o)}>
          <input type="checkbox" checked={props.value.includes(o)} onChange={(e) => props.onChange(e.target.checked ? props.options.filter((x) => x === o || props.value.includes(x)) : props.value.filter((x) => x !== o))} /> {o}
        </label>
      ))}
      {props.value.length === 0 && <span className="muted"> (from the settings)</span>}
    </fieldset>
  );
}

const csv = (xs: number[]) => xs.join(', ');

/** The task's axes: the toy's target layers, or the language model's target modules (the other is not read). */
export function AxisEditors({ def, task, onChange }: { def: SweepDef; task: RunConfig['task']; onChange(def: SweepDef): void }) {
  const set = (patch: Partial<SweepDef>) => onChange({ ...def, ...patch });
  const lrs = lrValues(def.lr);
  const lrNum = (key: 'from' | 'to' | 'step', label: string) => (
    <label className="lr-part">
      {label}
      <input type="number" step={0.5} value={def.lr[key]} aria-label={`Learning rate ${key} (log2)`} onChange={(e) => e.target.value !== '' && Number.isFinite(Number(e.target.value)) && set({ lr: { ...def.lr, [key]: Number(e.target.value) } })} />
    </label>
  );
  return (
    <div className="axes">
      <TextList label="Ranks" help="LoRA ranks r, one curve each" value={def.ranks} format={csv} parse={parseRanks} onCommit={(ranks) => set({ ranks })} placeholder="e.g. 1, 2, 4, 8" />
      <div className="axis">
        <span className="axis-label">Learning rates (log2)</span>
        <span className="lr-parts">
          {lrNum('from', 'from 2^')}
          {lrNum('to', 'to 2^')}
          {lrNum('step', 'step')}
        </span>
        <span className="muted">
          {lrs.length} value{lrs.length === 1 ? '' : 's'}: 2^{lrs[0]} … 2^{lrs[lrs.length - 1]}
        </span>
      </div>
      <div className="axis">
        <span className="axis-label">Alpha</span>
        <select aria-label="Alpha axis" value={def.alpha?.kind ?? 'none'} onChange={(e) => set({ alpha: e.target.value === 'none' ? null : { kind: e.target.value as 'alphaEff' | 'loraAlpha', values: def.alpha?.values ?? [1] } })}>
          <option value="none">lora_alpha from the settings</option>
          <option value="alphaEff">alpha_eff = lora_alpha / r, fixed across ranks</option>
          <option value="loraAlpha">lora_alpha, fixed across ranks</option>
        </select>
        {def.alpha && <TextList label={def.alpha.kind === 'alphaEff' ? 'alpha_eff values' : 'lora_alpha values'} help="One value per curve group" value={def.alpha.values} format={csv} parse={parseAlphas} onCommit={(values) => set({ alpha: { ...def.alpha!, values } })} />}
      </div>
      <Checks<InitScheme> label="Init schemes" options={['initA', 'initB', 'peft', 'gaussian']} value={def.inits} onChange={(inits) => set({ inits })} />
      <Checks label="Scaling rules" options={['standard', 'rslora'] as const} value={def.scalings} onChange={(scalings) => set({ scalings })} />
      <Checks label="Optimizers" options={['adamw', 'sgd'] as const} value={def.optimizers} onChange={(optimizers) => set({ optimizers })} />
      {task === 'lm' ? (
        <TextList<number[]> label="Target modules" help="Sets of adapted projections, e.g. q+v; all (q, k, v, o, gate, up, down; q@1 = layer 1 only)" value={def.lmTargets} format={formatTargetSets} parse={parseTargetSets} onCommit={(lmTargets) => set({ lmTargets })} />
      ) : (
        <TextList label="Target layers" help="Sets of adapted layers, e.g. 1+2; 2" value={def.targets} format={(t) => t.map((s) => s.join('+')).join('; ')} parse={parseTargets} onCommit={(targets) => set({ targets })} />
      )}
      <TextList label="Seeds" help="Each seed repeats the grid with new data and initial draws; curves average over seeds" value={def.seeds} format={csv} parse={parseSeeds} onCommit={(seeds) => set({ seeds })} />
      <TextList label="LoRA+ ratios" help="lr(B) / lr(A)" value={def.loraPlusRatios} format={csv} parse={parsePlus} onCommit={(loraPlusRatios) => set({ loraPlusRatios })} />
      <label className="axis inline">
        <input type="checkbox" checked={def.includeFft} onChange={(e) => set({ includeFft: e.target.checked })} /> Include full fine-tuning (same learning rates)
      </label>
    </div>
  );
}
