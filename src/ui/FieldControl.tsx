/**
 * One control for one field of the config table, chosen from the field's type: sliders for r,
 * lora_alpha and the learning rate (log2 in half steps), selects for enums, checkboxes for target
 * layers, number inputs for the rest. Every control is named by its label, described by its help
 * (shown on hover and focus), its allowed range, and its error when a typed value is refused.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { alphaEff, fieldBounds, scalingFactor, type Field, type FieldValue, type RunConfig } from '../config/schema';
import { short } from '../format';
import { LmTargetGrid } from './LmTargetGrid';
import { UserText } from './UserText';
import { formatLog2Value, log2Of, log2Steps, optionText, parseNumberText, rangeText, unusedBecause, valueText } from './fields';

/** Sets the field to a raw value; returns the error to show, or null when the value was taken. */
export type CommitFn = (raw: unknown) => string | null;

interface Props {
  field: Field;
  config: RunConfig;
  commit: CommitFn;
}

const SLIDERS = new Set(['r', 'lora_alpha', 'lr']);

export function FieldControl({ field, config, commit }: Props) {
  const id = useId();
  const [error, setError] = useState<string | null>(null);
  const value = config[field.key];
  // A value set elsewhere (a link, a dependent clamp) replaces whatever was refused before.
  useEffect(() => setError(null), [value]);
  const run = (raw: unknown) => setError(commit(raw));

  const ids = { control: `${id}-c`, help: `${id}-help`, range: `${id}-range`, error: `${id}-err` };
  const describedBy = [ids.help, ids.range, error ? ids.error : ''].filter(Boolean).join(' ');
  const common = { id: ids.control, 'aria-describedby': describedBy, title: field.help, 'aria-invalid': error ? true : undefined };
  const unused = unusedBecause(field.key, config);
  const range = rangeText(field, config);

  let control: ReactNode;
  let extra: ReactNode = null;
  if (field.key === 'lmTargets') {
    control = <LmTargetGrid field={field} config={config} describedBy={describedBy} onChange={run} />;
  } else if (field.type === 'intList') {
    control = <TargetBoxes field={field} config={config} describedBy={describedBy} onChange={run} />;
  } else if (field.type === 'enum') {
    control = (
      <select {...common} value={String(value)} onChange={(e) => run(e.target.value)}>
        {field.options!.map((o) => (
          <option key={o} value={o}>
            {optionText(o)}
          </option>
        ))}
      </select>
    );
  } else if (SLIDERS.has(field.key) && field.log2) {
    const x = value as number;
    const s = log2Steps(field);
    const shown = field.key === 'lr' ? formatLog2Value(x) : `${short(x)} (2^${log2Of(x)})`;
    control = <input type="range" {...common} min={s.min} max={s.max} step={s.step} value={Math.log2(x)} aria-valuetext={shown} onChange={(e) => run(2 ** Number(e.target.value))} />;
    extra = <output htmlFor={ids.control} className="value">{shown}</output>;
  } else if (SLIDERS.has(field.key)) {
    const b = fieldBounds(field.key, config);
    control = <input type="range" {...common} min={b.min} max={b.max} step={1} value={value as number} onChange={(e) => run(Number(e.target.value))} />;
    extra = <output htmlFor={ids.control} className="value">{String(value)}</output>;
  } else if (field.type === 'bool') {
    control = <input type="checkbox" {...common} checked={(value as unknown) === true} onChange={(e) => run(e.target.checked)} />;
  } else {
    control = <NumberInput common={common} field={field} value={value} onCommit={run} />;
  }
  if (field.key === 'lmData' && value === 'user') extra = <UserText />;
  if (field.key === 'lora_alpha') {
    extra = (
      <>
        {extra}
        <span className="derived" data-testid="alpha-eff">
          α_eff = α/r = {short(alphaEff(config))} · s = {short(scalingFactor(config))}
        </span>
      </>
    );
  }

  const slider = SLIDERS.has(field.key);
  return (
    <div className={`field${slider ? ' slider' : ''}${field.type === 'intList' ? ' list' : ''}${unused ? ' unused' : ''}`} data-key={field.key}>
      {field.type === 'intList' ? (
        <span className="label" title={field.help}>
          {field.label}
        </span>
      ) : (
        <label htmlFor={ids.control} title={field.help}>
          {field.label}
        </label>
      )}
      <span className="range" id={ids.range}>
        {range}
        {unused ? ` (${unused})` : ''}
      </span>
      <div className="control">
        {control}
        {extra}
      </div>
      <div role="tooltip" id={ids.help} className="help">
        {field.help}
      </div>
      {error && (
        <div className="field-error" id={ids.error}>
          {error}
        </div>
      )}
    </div>
  );
}

/** A number input that commits on change (Enter, blur, spinner), not on every keystroke. */
function NumberInput({ common, field, value, onCommit }: { common: Record<string, unknown>; field: Field; value: FieldValue; onCommit: (raw: unknown) => void }) {
  const [draft, setDraft] = useState(valueText(value));
  const ref = useRef<HTMLInputElement>(null);
  const latest = useRef(onCommit);
  latest.current = onCommit;
  useEffect(() => setDraft(valueText(value)), [value]);
  // React's onChange fires per keystroke; the native 'change' event is the commit point we want.
  useEffect(() => {
    const el = ref.current!;
    const onChange = () => latest.current(parseNumberText(el.value));
    el.addEventListener('change', onChange);
    return () => el.removeEventListener('change', onChange);
  }, []);
  return <input ref={ref} type="number" {...common} step={field.type === 'int' ? 1 : 'any'} value={draft} onChange={(e) => setDraft(e.target.value)} />;
}

/** Target layers: one checkbox per hidden layer 1..L, as a named group. */
function TargetBoxes({ field, config, describedBy, onChange }: { field: Field; config: RunConfig; describedBy: string; onChange: (raw: unknown) => void }) {
  const b = fieldBounds(field.key, config);
  const chosen = config.targets;
  const toggle = (l: number, on: boolean) => onChange(on ? [...chosen, l].sort((p, q) => p - q) : chosen.filter((x) => x !== l));
  const layers = Array.from({ length: b.max - b.min + 1 }, (_, i) => b.min + i);
  return (
    <fieldset className="boxes" aria-label={field.label} aria-describedby={describedBy} title={field.help}>
      {layers.map((l) => (
        <label key={l}>
          <input type="checkbox" checked={chosen.includes(l)} onChange={(e) => toggle(l, e.target.checked)} /> layer {l}
        </label>
      ))}
    </fieldset>
  );
}
