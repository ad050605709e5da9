/** How a sweep run is named and described (legend, hover card). */
import { configToQuery } from '../../config/url';
import { runLabel } from '../../store/runLabel';
import { outcomeOf, summarizeRun } from '../../sweep/analysis';
import type { SweepRunRecord } from '../../sweep/types';
import { fmt } from '../../format';

export function runName(r: SweepRunRecord): string {
  return `${runLabel(r.config)}${r.config.seed !== 1 ? ` seed ${r.config.seed}` : ''}`;
}

/** The hovered run: its settings (the link's query) and results, as the table shows them. */
export function RunCard({ run }: { run: SweepRunRecord | undefined }) {
  if (!run) return <p className="run-card muted">Hover a point or a table row to see that run's settings and results.</p>;
  const row = summarizeRun(run);
  const outcome = outcomeOf(run, row);
  return (
    <div className="run-card" data-testid="run-card" data-run-id={run.runId}>
      <strong className={outcome === 'diverged' || outcome === 'collapsed' ? 'bad' : undefined}>{runName(run)}</strong>
      <span>
        {row.state}
        {row.divergedStep ? ` at step ${row.divergedStep}` : ''} · final {fmt(row.finalLoss)} · best {fmt(row.bestLoss)} · eval {fmt(row.evalLoss)} · {fmt(row.stepsPerSec)} steps/s
      </span>
      <code>{configToQuery(run.config) || 'default settings'}</code>
    </div>
  );
}
