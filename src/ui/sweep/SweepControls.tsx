/**
 * The sweep's controls: presets, the axes, what it will cost (runs, memory, time on this device, or why
 * it is refused), Run sweep / Cancel, and the progress of the running sweep.
 */
import { useEffect, useMemo } from 'react';
import { fmt, formatBytes } from '../../format';
import { calibrationKey, useLab } from '../../store/store';
import { calibrationConfig, estimateSeconds, formatDuration, limitsError, sweepMemory, type SweepMemory } from '../../sweep/estimate';
import { buildGrid, gridErrors, taskAxes } from '../../sweep/grid';
import { presetDef, presetSettings, presetTask, PRESETS, type Preset } from '../../sweep/presets';
import { isFinished, type GridRun } from '../../sweep/types';
import type { RunConfig } from '../../config/schema';
import { AxisEditors } from './AxisEditors';

/** The adapter's buffer limits, when the engine has an adapter. */
function useLimits() {
  const gpu = useLab((s) => s.gpu);
  const budget = useLab((s) => s.memoryBudget);
  return useMemo(() => (gpu.state === 'ready' ? { ...gpu.adapter.limits, budget } : null), [gpu, budget]);
}

/** One click: the preset's settings (on its task) and sweep, then run it. */
export function runPreset(p: Preset): void {
  const lab = useLab.getState();
  const scale = lab.sweepScale;
  lab.setConfig(presetSettings(p, lab.config, scale));
  useLab.getState().setSweepDef(presetDef(p, scale, useLab.getState().config));
  useLab.getState().startSweep({ name: `${p.title}${scale === 'quick' ? ' (quick)' : ''}`, presetId: p.id });
}

const TASK_GROUP: Record<RunConfig['task'], string> = { toy: 'Toy MLP', lm: 'Language model (tiny Llama fine-tuned on Shakespeare)' };

/** The presets in two labelled groups, the page's task first; one of the other task switches the page to it. */
function Presets({ disabled }: { disabled: boolean }) {
  const scale = useLab((s) => s.sweepScale);
  const task = useLab((s) => s.config.task);
  const order: RunConfig['task'][] = task === 'lm' ? ['lm', 'toy'] : ['toy', 'lm'];
  return (
    <div className="presets">
      <div className="presets-head">
        <h3>Reproduce a finding</h3>
        <label className="inline" title="At most 2 values per axis and 3 learning rates (the language model's presets also train 20 steps): a first look, or a slow (software) GPU">
          <input type="checkbox" checked={scale === 'quick'} onChange={(e) => useLab.getState().setSweepScale(e.target.checked ? 'quick' : 'full')} /> Quick
        </label>
      </div>
      {order.map((t) => (
        <div key={t} className="preset-group" data-task={t}>
          <h4>
            {TASK_GROUP[t]}
            {t !== task && <small className="muted"> · switches the task</small>}
          </h4>
          <div className="preset-buttons">
            {PRESETS.filter((p) => presetTask(p) === t).map((p) => (
              <button key={p.id} type="button" disabled={disabled} onClick={() => runPreset(p)} title={`${p.found}\n\nSource: ${p.source}`} data-preset={p.id}>
                {p.title}
              </button>
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}

type Est = { errors: string[]; runs?: GridRun[]; mem?: SweepMemory; cal?: RunConfig };

/** The grid of the current definition and settings: its refusals, or its runs, memory and calibration config. */
function useEstimate(): Est {
  const def = useLab((s) => s.sweepDef);
  const config = useLab((s) => s.config);
  const limits = useLimits();
  return useMemo(() => {
    const errors = gridErrors(def, config);
    if (errors.length) return { errors };
    const runs = buildGrid(def, config);
    const mem = sweepMemory(runs);
    const tooBig = limitsError(mem, taskAxes(def, config.task), limits);
    return { errors: tooBig ? [tooBig] : [], runs, mem, cal: calibrationConfig(runs, config) };
  }, [def, config, limits]);
}

function Estimate({ est }: { est: Est }) {
  const calibration = useLab((s) => s.calibration);
  const active = useLab((s) => s.activeSweep);
  const gpuReady = useLab((s) => s.gpu.state === 'ready');
  const calKey = est.cal ? calibrationKey(est.cal) : null;
  // Calibrate (a few timed steps of the slowest run) once the settings stop changing.
  useEffect(() => {
    if (!calKey || !est.cal || !gpuReady || active) return;
    const t = setTimeout(() => useLab.getState().calibrate(est.cal!), 700);
    return () => clearTimeout(t);
  }, [calKey, gpuReady, active, est.cal]);
  if (est.errors.length)
    return (
      <div className="sweep-errors" role="alert" data-testid="sweep-errors">
        {est.errors.map((e) => (
          <p key={e}>{e}</p>
        ))}
      </div>
    );
  const sps = calibration && calibration.key === calKey ? calibration.stepsPerSec : NaN;
  const t = estimateSeconds(est.runs!, sps);
  const time = Number.isFinite(t.low)
    ? `about ${formatDuration(t.low)}${t.high > t.low * 1.5 ? ` to ${formatDuration(t.high)}` : ''} (one run: ${fmt(sps)} steps/s; ${est.mem!.batches} batch${est.mem!.batches === 1 ? '' : 'es'} trained together)`
    : calibration?.message && calibration.key === calKey
      ? `no time estimate: ${calibration.message}`
      : 'timing a few steps…';
  return (
    <p className="sweep-estimate" data-testid="sweep-estimate" data-runs={est.runs!.length}>
      <strong>{est.runs!.length} runs</strong> · {formatBytes(est.mem!.totalBytes)} of GPU memory (largest buffer {formatBytes(est.mem!.largestBufferBytes)}) · {time}
    </p>
  );
}

function Progress() {
  const active = useLab((s) => s.activeSweep);
  const progress = useLab((s) => s.sweepProgress);
  const rec = useLab((s) => s.sweeps.find((x) => x.id === s.activeSweep?.sweepId));
  if (!active || !rec) return null;
  const total = rec.runs.length;
  const done = rec.runs.filter((r) => isFinished(r) || r.status?.state === 'failed').length;
  const bad = rec.runs.filter((r) => r.status?.state === 'diverged' || r.status?.state === 'collapsed').length;
  return (
    <div className="sweep-progress" data-testid="sweep-progress">
      <div role="progressbar" aria-label="Sweep progress" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} className="bar">
        <span style={{ width: `${(100 * done) / Math.max(1, total)}%` }} />
      </div>
      <p>
        {done} / {total} runs done{bad ? ` · ${bad} diverged or collapsed (marked; the rest go on)` : ''}
        {progress ? ` · ${fmt(progress.adapterStepsPerSec)} adapter-steps/s · ${formatDuration(progress.etaSec)} left` : ''}
      </p>
    </div>
  );
}

export function SweepControls() {
  const def = useLab((s) => s.sweepDef);
  const task = useLab((s) => s.config.task);
  const active = useLab((s) => s.activeSweep);
  const gpuReady = useLab((s) => s.gpu.state === 'ready');
  const est = useEstimate();
  return (
    <section className="panel sweep-controls" aria-label="Sweep settings">
      <Presets disabled={!gpuReady || !!active} />
      <h3>Or define a grid</h3>
      <p className="muted">Everything that is not an axis comes from the settings above (task, steps, batch, optimizer…).</p>
      <AxisEditors def={def} task={task} onChange={(d) => useLab.getState().setSweepDef(d)} />
      <Estimate est={est} />
      <div className="buttons">
        <button type="button" className="primary" disabled={!gpuReady || !!active || est.errors.length > 0} onClick={() => useLab.getState().startSweep()}>
          Run sweep
        </button>
        <button type="button" disabled={!active} onClick={() => useLab.getState().cancelSweep()} title="Stop the sweep; finished runs are kept">
          Cancel
        </button>
      </div>
      <Progress />
    </section>
  );
}
