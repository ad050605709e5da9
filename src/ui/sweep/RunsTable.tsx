/**
 * Every run of the sweep, sortable by any column (click a header; again to reverse), with its full
 * settings (the link query of its config) and its final / best / eval loss. Hovering a row shows the run
 * card; the checkbox adds its loss curve. A language-model sweep shows its losses in bits per byte, its
 * target modules instead of the toy's layers, and both held-out losses: on the fine-tuning text (what it
 * learned) and on the pretraining text (what it forgot).
 */
import { useMemo, useState } from 'react';
import { alphaEff, type RunConfig } from '../../config/schema';
import { configToQuery } from '../../config/url';
import { lossView } from '../../metrics/bits';
import { outcomeOf, summarizeRun, type RunRow } from '../../sweep/analysis';
import type { SweepRunRecord } from '../../sweep/types';
import { formatTargetSet } from '../../tasks/lmTargets';
import { fmt } from '../../format';

interface Row extends RunRow {
  outcome: string;
  rec: SweepRunRecord;
}

type Col = { key: string; label: string; value: (r: Row) => number | string; show?: (r: Row) => string; title?: string };

/** The columns for a task's runs (losses as the task shows them). */
function columns(task: RunConfig['task']): Col[] {
  const v = lossView(task);
  const loss = (key: string, label: string, of: (r: Row) => number, title?: string): Col => ({ key, label, value: of, show: (r) => fmt(v.of(of(r))), title });
  const lm = task === 'lm';
  return [
    { key: 'state', label: 'state', value: (r) => r.outcome },
    { key: 'mode', label: 'mode', value: (r) => r.config.mode },
    { key: 'r', label: 'r', value: (r) => (r.config.mode === 'fft' ? -1 : r.config.r), show: (r) => (r.config.mode === 'fft' ? '—' : String(r.config.r)) },
    { key: 'lr', label: 'log2 lr', value: (r) => Math.log2(r.config.lr), show: (r) => fmt(Math.log2(r.config.lr)) },
    { key: 'alpha', label: 'lora_alpha', value: (r) => r.config.lora_alpha, show: (r) => fmt(r.config.lora_alpha) },
    { key: 'aeff', label: 'α_eff', value: (r) => alphaEff(r.config), show: (r) => fmt(alphaEff(r.config)), title: 'lora_alpha / r' },
    { key: 'init', label: 'init', value: (r) => r.config.init },
    { key: 'scaling', label: 'scaling', value: (r) => r.config.scaling },
    lm ? { key: 'modules', label: 'modules', value: (r) => formatTargetSet(r.config.lmTargets), title: 'target modules: q+v = q_proj and v_proj on every layer' } : { key: 'targets', label: 'layers', value: (r) => r.config.targets.join(',') },
    { key: 'opt', label: 'optimizer', value: (r) => r.config.optimizer },
    { key: 'plus', label: 'LoRA+', value: (r) => r.config.loraPlusRatio },
    { key: 'seed', label: 'seed', value: (r) => r.config.seed },
    loss('final', 'final loss', (r) => r.finalLoss),
    loss('best', 'best loss', (r) => r.bestLoss),
    ...(lm
      ? [loss('eval', 'eval: fine-tuning text', (r) => r.evalLoss, 'held-out loss on the fine-tuning text: what the run learned'), loss('eval2', 'eval: pretraining text', (r) => r.pretrainEvalLoss, 'held-out loss on the pretraining text (the KJV): what the run forgot')]
      : [loss('eval', 'eval loss', (r) => r.evalLoss)]),
    { key: 'div', label: 'diverged at', value: (r) => r.divergedStep ?? Infinity, show: (r) => (r.divergedStep ? String(r.divergedStep) : '') },
    { key: 'sps', label: 'steps/s', value: (r) => r.stepsPerSec, show: (r) => fmt(r.stepsPerSec) },
  ];
}

/** Numbers ascending with NaN last; strings alphabetically. */
function compare(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
    return a - b;
  }
  return String(a).localeCompare(String(b));
}

interface Props {
  runs: SweepRunRecord[];
  task: RunConfig['task'];
  selected: readonly string[];
  onToggle(runId: string): void;
  onHover(runId: string | null): void;
}

export function RunsTable({ runs, task, selected, onToggle, onHover }: Props) {
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 }>({ key: 'final', dir: 1 });
  const COLS = useMemo(() => columns(task), [task]);
  const rows = useMemo(() => {
    const all: Row[] = runs.map((rec) => {
      const row = summarizeRun(rec);
      return { ...row, outcome: outcomeOf(rec, row), rec };
    });
    const col = COLS.find((c) => c.key === sort.key) ?? COLS[0];
    // NaN stays last whichever way the column is sorted.
    return all.sort((a, b) => {
      const va = col.value(a);
      const vb = col.value(b);
      if (typeof va === 'number' && Number.isNaN(va) !== (typeof vb === 'number' && Number.isNaN(vb))) return Number.isNaN(va) ? 1 : -1;
      return sort.dir * compare(va, vb);
    });
  }, [runs, sort, COLS]);
  const click = (key: string) => setSort((s) => ({ key, dir: s.key === key ? (-s.dir as 1 | -1) : 1 }));
  return (
    <section className="panel" aria-label="Runs">
      <h2>
        Runs <small>{runs.length} · click a header to sort{task === 'lm' ? ' · losses in bits per byte' : ''}</small>
      </h2>
      <div className="table-scroll">
        <table className="runs-table" data-testid="sweep-table">
          <thead>
            <tr>
              <th scope="col" title="Show the loss curve">curve</th>
              {COLS.map((c) => (
                <th key={c.key} scope="col" title={c.title} aria-sort={sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" onClick={() => click(c.key)}>
                    {c.label}
                    {sort.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
                  </button>
                </th>
              ))}
              <th scope="col">settings</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.runId} data-run-id={r.runId} data-state={r.outcome} className={r.outcome} onMouseEnter={() => onHover(r.runId)} onMouseLeave={() => onHover(null)}>
                <td>
                  <input type="checkbox" aria-label={`Show the loss curve of run ${r.runId}`} checked={selected.includes(r.runId)} onChange={() => onToggle(r.runId)} />
                </td>
                {COLS.map((c) => (
                  <td key={c.key} data-field={c.key}>
                    {c.show ? c.show(r) : String(c.value(r))}
                  </td>
                ))}
                <td className="settings">
                  <code>{configToQuery(r.config)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
