/**
 * The sweeps kept in this browser: view, resume (an interrupted or cancelled one), remove; export the
 * viewed one as CSV or JSON, or as a PyTorch grid (a zip that trains every run, toy or language model, in
 * PyTorch + PEFT and writes the same CSV; a language-model sweep's zip also holds the base model and texts,
 * fetched first, and a failure is a notice); import a sweep JSON, or a CSV such as the grid's results.csv, to view it (a bad
 * file is a notice, changes nothing).
 */
import { useLab } from '../../store/store';
import { summarizeRun } from '../../sweep/analysis';
import { rowsToCsv, sweepToJson } from '../../sweep/io';
import { isFinished, type SweepRecord } from '../../sweep/types';
import { gridExportBlocker, gridNeedsLm } from '../../export/sweepBundle';
import { buildSweepGridZip } from '../../export/sweepGridAssets';
import { LAB_VERSION } from '../../store/exportSlice';
import { download } from '../download';
import { downloadText, fileStem } from './chartExport';

const STATE_TEXT: Record<SweepRecord['state'], string> = {
  running: 'running',
  done: 'done',
  cancelled: 'cancelled',
  interrupted: 'interrupted (reload or lost device)',
  imported: 'imported',
};

export function exportCsv(s: SweepRecord): void {
  downloadText(rowsToCsv(s.runs.map(summarizeRun)), `${fileStem(s.name)}.csv`, 'text/csv');
}

export function exportJson(s: SweepRecord): void {
  downloadText(sweepToJson(s), `${fileStem(s.name)}.json`, 'application/json');
}

/**
 * The zip is plain data (grid.json, the scripts and, for a language-model sweep, the fetched base and
 * texts), so it is built here, without the engine; a failure (e.g. a fetch) is a notice.
 */
export async function exportGrid(s: SweepRecord): Promise<void> {
  try {
    download({ name: `${fileStem(s.name)}_pytorch-grid.zip`, bytes: await buildSweepGridZip(s, LAB_VERSION), type: 'application/zip' });
  } catch (e) {
    useLab.getState().notify(`PyTorch grid of ${s.name} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const GRID_TITLE = 'Zip: grid.json (every run), sweep_with_peft.py, train_with_peft.py, toy_task.py, train_common.py, README.md: trains the grid in PyTorch + PEFT and writes the results as this CSV';
const LM_GRID_TITLE = 'Zip: grid.json (every run), sweep_with_peft.py, train_lm_with_peft.py, lm_task.py, toy_task.py, train_common.py, base/ (the base model), data/ (the fine-tuning text and the pretraining held-out text), README.md: trains the grid in PyTorch + transformers + PEFT and writes the results as this CSV';

export function SweepList() {
  const sweeps = useLab((s) => s.sweeps);
  const viewId = useLab((s) => s.viewedSweepId);
  const active = useLab((s) => s.activeSweep);
  const elsewhere = useLab((s) => s.sweepsElsewhere);
  const { viewSweep: view, resumeSweep: resume, removeSweep: remove, importSweepJson } = useLab.getState();
  const onFile = async (file: File | undefined) => {
    if (file) importSweepJson(file.name, await file.text());
  };
  return (
    <section className="panel sweep-list" aria-label="Kept sweeps">
      <h2>
        Sweeps <small>kept in this browser</small>
      </h2>
      {sweeps.length === 0 ? (
        <p className="muted">No sweeps yet.</p>
      ) : (
        <ul data-testid="sweep-list">
          {[...sweeps].reverse().map((s) => {
            const finished = s.runs.filter(isFinished).length;
            const there = elsewhere.includes(s.id);
            const canResume = !active && !there && s.state !== 'running' && finished < s.runs.length;
            return (
              <li key={s.id} className={s.id === viewId ? 'current' : undefined} data-sweep-id={s.id} data-state={there ? 'elsewhere' : s.state}>
                <button type="button" className="link" onClick={() => view(s.id)} aria-current={s.id === viewId ? 'true' : undefined}>
                  {s.name}
                </button>
                <span className="muted">
                  {' '}
                  · {there ? 'training in another tab (shown as it was when this page loaded; it updates here when it ends)' : STATE_TEXT[s.state]} · {finished} / {s.runs.length} runs finished
                </span>
                <span className="actions">
                  {canResume && (
                    <button type="button" onClick={() => resume(s.id)} title="Train the runs that did not finish">
                      Resume
                    </button>
                  )}
                  <button type="button" onClick={() => exportCsv(s)} aria-label={`Download ${s.name} as CSV`}>
                    CSV
                  </button>
                  <button type="button" onClick={() => exportJson(s)} aria-label={`Download ${s.name} as JSON`}>
                    JSON
                  </button>
                  <button
                    type="button"
                    onClick={() => void exportGrid(s)}
                    disabled={gridExportBlocker(s) !== null}
                    aria-label={`Download ${s.name} as a PyTorch grid`}
                    title={gridExportBlocker(s) ?? (gridNeedsLm(s) ? LM_GRID_TITLE : GRID_TITLE)}
                  >
                    PyTorch grid
                  </button>
                  <button type="button" className="remove" onClick={() => remove(s.id)} aria-label={`Remove sweep ${s.name}`} title="Remove (a running sweep is cancelled first)">
                    ×
                  </button>
                </span>
              </li>
            );
          })}
        </ul>
      )}
      <label className="import">
        Import a sweep JSON or CSV: <input type="file" accept=".json,application/json,.csv,text/csv" aria-label="Import a sweep JSON or CSV (the page's, or results.csv from the PyTorch grid)" onChange={(e) => void onFile(e.target.files?.[0]).finally(() => (e.target.value = ''))} />
      </label>
    </section>
  );
}
