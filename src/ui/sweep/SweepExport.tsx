/**
 * Export of the runs selected in a sweep (ticked in the table or clicked on a chart): per run the same
 * bundle as a single run's (PEFT adapter, base model, test cases, load_with_peft.py, README) and its
 * merged weights. Trained tensors of finished runs are kept in IndexedDB, so this works after a reload.
 */
import { useState } from 'react';
import type { ExportKind } from '../../engine/protocol';
import { runLabel } from '../../store/runLabel';
import { useLab } from '../../store/store';
import { isFinished, type SweepRecord, type SweepRunRecord } from '../../sweep/types';
import { download } from '../download';

export function SweepExport({ sweep, selected }: { sweep: SweepRecord; selected: readonly string[] }) {
  const runs = sweep.runs.filter((r) => selected.includes(r.runId));
  return (
    <section className="panel export-panel" aria-label="Export selected runs" data-testid="sweep-export">
      <h2>
        Export <small>selected runs: PEFT adapter + base model + test cases, merged weights</small>
      </h2>
      {runs.length === 0 ? (
        <p className="empty-note">Tick a run in the table (or click its point on a chart) to export it as a Hugging Face PEFT adapter.</p>
      ) : (
        <ul className="legend export-list">
          {runs.map((r) => (
            <ExportRow key={r.runId} sweepId={sweep.id} run={r} />
          ))}
        </ul>
      )}
    </section>
  );
}

/** Why a run cannot be exported, or null when it can. */
function notReady(run: SweepRunRecord): string | null {
  if (!isFinished(run)) return 'Available when the run finishes';
  if (run.status?.state === 'diverged') return 'A diverged run has no finite weights to export';
  if (!run.hasWeights) return 'Its trained weights were not kept in this browser (an imported sweep has none)';
  return null;
}

function ExportRow({ sweepId, run }: { sweepId: string; run: SweepRunRecord }) {
  const [busy, setBusy] = useState<ExportKind | null>(null);
  const label = `${run.runId} (${runLabel(run.config)})`;
  const why = notReady(run);
  const exportAs = async (kind: ExportKind) => {
    setBusy(kind);
    download(await useLab.getState().exportSweepRun(sweepId, run.runId, kind));
    setBusy(null);
  };
  return (
    <li data-run-id={run.runId} data-ready={why === null}>
      <span className="run-title">{label}</span>
      <span className="buttons">
        <button type="button" onClick={() => exportAs('bundle')} disabled={why !== null || busy !== null} title={why ?? 'Zip: adapter/ (PEFT), base_model.safetensors, test_cases.json, load_with_peft.py, README.md'} aria-label={`Export bundle of sweep run ${run.runId}`}>
          {busy === 'bundle' ? 'Exporting…' : 'Export'}
        </button>
        <button type="button" onClick={() => exportAs('merged')} disabled={why !== null || busy !== null} title={why ?? 'W0 + s B A for every layer, as one safetensors file'} aria-label={`Export merged weights of sweep run ${run.runId}`}>
          {busy === 'merged' ? 'Exporting…' : 'Merged weights'}
        </button>
      </span>
    </li>
  );
}
