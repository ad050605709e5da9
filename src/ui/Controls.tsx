/**
 * The settings column, generated from the config table (FIELDS): one control per field, in table
 * order, grouped. Adapter and Optimizer stay open; Task and Run fold away.
 */
import { useCallback } from 'react';
import { FIELDS, fieldServes, type FieldKey, type Group } from '../config/schema';
import { useLab } from '../store/store';
import { FieldControl } from './FieldControl';
import { commitField } from './fields';

const GROUPS: { group: Group; foldable: boolean; note: string }[] = [
  { group: 'Task', foldable: true, note: 'the frozen base model and what it is tuned to' },
  { group: 'Adapter', foldable: false, note: 'what is trained' },
  { group: 'Optimizer', foldable: false, note: 'how it is trained' },
  { group: 'Run', foldable: true, note: 'batches, steps, seed' },
];

export function Controls() {
  const config = useLab((s) => s.config);
  const commit = useCallback((key: FieldKey, raw: unknown) => {
    const s = useLab.getState();
    const res = commitField(s.config, key, raw);
    if (!res.ok) return res.error;
    if (res.notices.length) s.notify(...res.notices);
    s.setConfig(res.config);
    return null;
  }, []);

  return (
    <div className="controls">
      {GROUPS.map(({ group, foldable, note }) => {
        const fields = FIELDS.filter((f) => f.group === group && fieldServes(f.key, config.task)).map((f) => <FieldControl key={f.key} field={f} config={config} commit={(raw) => commit(f.key, raw)} />);
        const heading = (
          <>
            {group} <small>{note}</small>
          </>
        );
        return foldable ? (
          <details key={group} open className="group" aria-label={`${group} settings`}>
            <summary>
              <h2>{heading}</h2>
            </summary>
            {fields}
          </details>
        ) : (
          <section key={group} className="group" aria-label={`${group} settings`}>
            <h2>{heading}</h2>
            {fields}
          </section>
        );
      })}
    </div>
  );
}
