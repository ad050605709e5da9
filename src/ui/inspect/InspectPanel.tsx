/**
 * "Inside the adapter": beside the loss chart, what the selected run (the store's current run, else the
 * newest run of the page's task) has learned, from the inspection points the worker posts at log steps:
 * the model drawn from the page's settings, and for one module (picked on the drawing or in the
 * selector) its update's spectrum, agreement with the true change, effective rank, dynamics and heatmap.
 * Reads the store only; the module selection is this panel's own state.
 */
import { useDeferredValue, useMemo, useState } from 'react';
import type { RunConfig } from '../../config/schema';
import type { ModuleInspect } from '../../engine/inspect';
import { useLab, type RunRecord } from '../../store/store';
import { fileStem } from '../sweep/chartExport';
import { DeltaHeatmap } from './DeltaHeatmap';
import { AgreementChart, DynamicsChart, EffRankChart, SpectrumChart } from './InspectCharts';
import { ModelDiagram } from './ModelDiagram';
import { Paced } from '../Paced';
import { modelLayout, trainedModules } from './modelLayout';
import { runInspect } from './select';
import './inspect.css';

/** The two sentences that say what the drawing is. */
function story(cfg: RunConfig): string {
  if (cfg.task === 'lm')
    return 'A tiny Llama language model (2 layers of 7 projections, pretrained on the King James Bible) stays frozen, and the coloured projections are fine-tuned on new text. There is no true change here to compare with: the views show how many directions each update uses and how it grew.';
  const how = cfg.mode === 'lora' ? `LoRA learns it through the small trained factors B·A of rank r = ${cfg.r} beside each adapted layer` : 'full fine-tuning learns it by training the adapted layers’ weights themselves';
  return `The base network (grey) is frozen; the target is the same network with a hidden rank-${cfg.trueRank} change ΔW = c·U·Vᵀ added to each hidden layer, and training has to recover that change from input-output pairs. ${how[0].toUpperCase()}${how.slice(1)}.`;
}

/** The run whose insides the panel shows. */
function shownRun(s: { runs: RunRecord[]; currentId: string | null; config: RunConfig }): RunRecord | undefined {
  return s.runs.find((r) => r.id === s.currentId) ?? s.runs.findLast((r) => r.config.task === s.config.task);
}

export function InspectPanel() {
  const config = useLab((s) => s.config);
  // deferred, like the loss chart: the five charts redraw in a background (time-sliced) render
  const run = useDeferredValue(useLab(shownRun));
  const runs = useDeferredValue(useLab((s) => s.runs));
  const points = runInspect(run);
  const layout = useMemo(() => modelLayout(config), [config]);
  // the run's own modules when it has data (its settings may differ from the page's now), else the drawing's
  const modules = useMemo(() => {
    const fromData = points.length ? points[points.length - 1].modules.map((m) => m.module) : [];
    return fromData.length ? fromData : trainedModules(layout);
  }, [points, layout]);
  const [picked, setPicked] = useState<string | null>(null);
  // the worker draws the heatmap of the chosen module from the next inspection on
  const pick = (m: string) => {
    setPicked(m);
    useLab.getState().inspectModule(m);
  };
  const module = picked && modules.includes(picked) ? picked : (modules[0] ?? null);
  const last = points[points.length - 1];
  const toy = (run?.config.task ?? config.task) === 'toy';
  const file = fileStem(run ? `${run.id}-${run.label}` : 'model');
  const trueRank = toy ? (run?.config.trueRank ?? config.trueRank) : undefined;
  // the runs change with every batch of logged points, the inspections only a few times a second: the
  // views (five charts) are rebuilt only when what they draw changed
  const found = module === null ? undefined : fftReference(runs, run, module);
  const refM = found?.m;
  const refLabel = found?.label;
  const views = useMemo(() => {
    if (module === null) return null;
    const reference = refM && refLabel ? { label: refLabel, m: refM } : undefined;
    return (
      <div className="inspect-grid">
        {/* one chart per main-thread task (Paced.tsx): five charts redrawn together would hold it for long */}
        <Paced name="spectrum">
          <SpectrumChart points={points} module={module} file={file} toy={toy} reference={reference} />
        </Paced>
        <Paced name="effective rank">
          <EffRankChart points={points} module={module} file={file} toy={toy} trueRank={trueRank} />
        </Paced>
        <Paced name="agreement">
          <AgreementChart points={points} module={module} file={file} toy={toy} />
        </Paced>
        <Paced name="dynamics">
          <DynamicsChart points={points} module={module} file={file} toy={toy} />
        </Paced>
        <Paced name="ΔW heatmap">
          <DeltaHeatmap points={points} module={module} file={file} />
        </Paced>
      </div>
    );
  }, [points, module, file, toy, trueRank, refM, refLabel]);
  const storyText = story(config);
  // (pick only calls setters, so the memo need not follow it)
  const diagram = useMemo(() => <ModelDiagram layout={layout} selected={module} onSelect={pick} file={file} story={storyText} />, [layout, module, file, storyText]);
  return (
    <section className="inspect" aria-labelledby="inspect-title" data-testid="inspect-panel" data-run-id={run?.id ?? ''}>
      <div className="inspect-head">
        <h2 id="inspect-title">
          Inside the adapter <small>{run ? `run ${run.label}` : 'no run yet'}</small>
        </h2>
        <label>
          Module{' '}
          <select value={module ?? ''} onChange={(e) => pick(e.target.value)} disabled={modules.length === 0} aria-label="Module to inspect">
            {modules.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        {last && (
          <span className="muted cost" data-testid="inspect-cost">
            step {last.step} · read back {last.readbackMs.toFixed(2)} ms, computed {last.computeMs.toFixed(2)} ms per inspection, in the worker
          </span>
        )}
      </div>
      {diagram}
      {module === null ? (
        <p className="empty-note">Nothing is trained with these settings: pick target layers to adapt.</p>
      ) : points.length === 0 ? (
        <p className="empty-note" data-testid="inspect-empty">
          {run ? 'No inspection of this run’s weights yet: it arrives with its logged steps.' : 'Press Train:'} At each logged step the worker reads the trained weights back and the views appear here: the update’s singular values{toy ? ' against the true change’s' : ''}, its effective rank, {toy ? 'its agreement with the true directions, ' : ''}the growth of A and B, and a heatmap of ΔW.
        </p>
      ) : (
        views
      )}
    </section>
  );
}

/**
 * The same module in a full fine-tuning run of the same task on the page, for a LoRA run (its latest
 * inspected update): on the language model, which has no true change, what LoRA's update is compared with.
 */
function fftReference(runs: readonly RunRecord[], run: RunRecord | undefined, module: string): { label: string; m: ModuleInspect } | undefined {
  if (!run || run.config.mode !== 'lora') return undefined;
  for (let i = runs.length - 1; i >= 0; i--) {
    const other = runs[i];
    if (other.id === run.id || other.config.mode !== 'fft' || other.config.task !== run.config.task) continue;
    const m = runInspect(other).at(-1)?.modules.find((x) => x.module === module);
    if (m) return { label: `full fine-tuning (${other.label})`, m };
  }
  return undefined;
}
