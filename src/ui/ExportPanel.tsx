/**
 * Exports, one row per run on the chart: the bundle (a PEFT adapter with base model, test cases,
 * load_with_peft.py and README), the merged weights, and the metrics as CSV. Weights arrive when a
 * run ends, so the first two wait for that.
 */
import { useState } from 'react';
import type { ExportKind } from '../engine/protocol';
import { metricsDownload, useLab, type RunRecord } from '../store/store';
import { download } from './download';

export function ExportPanel() {
  const runs = useLab((s) => s.runs);
  return (
    <section className="panel export-panel" aria-label="Export" data-testid="export-panel">
      <h2>
        Export <small>PEFT adapter + base model + test cases, merged weights, metrics</small>
      </h2>
      {runs.length === 0 ? (
        <p className="empty-note">Finished runs can be exported here as a Hugging Face PEFT adapter.</p>
      ) : (
        <ul className="legend export-list">
          {runs.map((r) => (
            <ExportRow key={r.id} run={r} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ExportRow({ run }: { run: RunRecord }) {
  const [busy, setBusy] = useState<ExportKind | null>(null);
  const [plainLora, setPlainLora] = useState(false);
  const ready = !!run.hasWeights;
  const rslmLora = run.config.task === 'lm' && run.config.mode === 'lora' && run.config.scaling === 'rslora';
  const exportAs = async (kind: ExportKind) => {
    setBusy(kind);
    download(await useLab.getState().exportRun(run.id, kind, { plainLora: rslmLora && plainLora }));
    setBusy(null);
  };
  const wait = ready ? undefined : 'Available when the run ends (its trained weights arrive then)';
  return (
    <li data-run-id={run.id} data-ready={ready}>
      <span className="run-title">{run.label}</span>
      <span className="buttons">
        <button type="button" onClick={() => exportAs('bundle')} disabled={!ready || busy !== null} title={wait ?? (run.config.task === 'lm' ? 'Zip: base/ (the HF model folder), adapter/ (PEFT), test_cases.json, load_adapter.py, README.md' : 'Zip: adapter/ (PEFT), base_model.safetensors, test_cases.json, load_with_peft.py, README.md')} aria-label={`Export bundle of run ${run.label}`}>
          {busy === 'bundle' ? 'Exporting…' : 'Export'}
        </button>
        <button type="button" onClick={() => exportAs('merged')} disabled={!ready || busy !== null} title={wait ?? 'W0 + s B A for every layer, as one safetensors file'} aria-label={`Export merged weights of run ${run.label}`}>
          {busy === 'merged' ? 'Exporting…' : 'Merged weights'}
        </button>
        {rslmLora && (
          <label className="inline" title="Several serving stacks ignore use_rslora: write lora_alpha * sqrt(r) with use_rslora false, the same scaling">
            <input type="checkbox" checked={plainLora} onChange={(e) => setPlainLora(e.target.checked)} aria-label={`Export run ${run.label} as plain LoRA`} /> as plain LoRA
          </label>
        )}
        <button type="button" onClick={() => download(metricsDownload(run))} disabled={run.points.length === 0} title="Every logged step: loss, eval loss, gradient norm, learning rate" aria-label={`Export metrics CSV of run ${run.label}`}>
          Metrics CSV
        </button>
      </span>
    </li>
  );
}
