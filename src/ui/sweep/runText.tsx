/** How a sweep run is named and described (legend, hover card). */
import { configToQuery } from '../../config/url';
import { lossView } from '../../metrics/bits';
import { runLabel } from '../../store/runLabel';
import { outcomeOf, summarizeRun } from '../../sweep/analysis';
import { formatTargetSet } from '../../tasks/lmTargets';
import type { SweepRunRecord } from '../../sweep/types';
import { fmt } from '../../format';

/** The run's label; a language-model run also names its target modules (a sweep may vary them). */
export function runName(r: SweepRunRecord): string {
  const modules = r.config.task === 'lm' ? ` ${formatTargetSet(r.config.lmTargets)}` : '';
  return `${runLabel(r.config)}${modules}${r.config.seed !== 1 ? ` seed ${r.config.seed}` : ''}`;
}

/** The hovered run: its settings (the link's query) and results, as the table shows them. */
export function RunCard({ run }: { run: SweepRunRecord | undefined }) {
  if (!run) return <p className="run-card muted">Hover a point or a table row to see that run's settings and results.</p>;
  const row = summarizeRun(run);
  const outcome = outcomeOf(run, row);
  const v = lossView(run.config.task);
  const evals = run.config.task === 'lm' ? `eval ${fmt(v.of(row.evalLoss))} (fine-tuning text), ${fmt(v.of(row.pretrainEvalLoss))} (pretraining text)` : `eval ${fmt(row.evalLoss)}`;
  return (
    <div className="run-card" data-testid="run-card" data-run-id={run.runId}>
      <strong className={outcome === 'diverged' || outcome === 'collapsed' ? 'bad' : undefined}>{runName(run)}</strong>
      <span>
        {row.state}
        {row.divergedStep ? ` at step ${row.divergedStep}` : ''} · {v.unit ? `${v.unit}: ` : ''}final {fmt(v.of(row.finalLoss))} · best {fmt(v.of(row.bestLoss))} · {evals} · {fmt(row.stepsPerSec)} steps/s
      </span>
      <code>{configToQuery(run.config) || 'default settings'}</code>
    </div>
  );
}
