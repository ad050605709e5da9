/** Play / pause / single step / reset, and one line saying where the current run is. */
import type { RunStatus } from '../engine/protocol';
import { isActive, useLab, type RunRecord } from '../store/store';
import { liveProgress } from './chartData';
import { fmtNum } from '../format';

export function statusText(run: RunRecord | undefined): string {
  if (!run) return 'Ready: press Train to start a run.';
  const s: RunStatus = run.status;
  const now = liveProgress(run);
  const of = `step ${now.step} / ${run.config.steps}`;
  const rate = now.stepsPerSec > 0 ? ` · ${now.stepsPerSec.toFixed(1)} steps/s` : '';
  const final = s.finalLoss !== undefined && Number.isFinite(s.finalLoss) ? ` · final loss ${fmtNum(s.finalLoss)}` : '';
  switch (s.state) {
    case 'building': return 'building: allocating buffers and compiling kernels…';
    case 'running': return `running · ${of}${rate}`;
    case 'paused': return `paused · ${of}${rate}`;
    case 'done': return `done · ${of}${rate}${final}`;
    case 'diverged': return `diverged at step ${s.divergedStep ?? s.step} (the loss or the gradient norm became NaN or Inf)`;
    case 'collapsed': return `collapsed · ${of}${final} (the loss ended above where it started)`;
    case 'stopped': return `stopped at ${of}`;
    case 'failed': return `failed at ${of}${s.message ? `: ${s.message}` : ''}`;
  }
}

export function RunControls() {
  const run = useLab((s) => s.runs.find((r) => r.id === s.currentId));
  const gpuReady = useLab((s) => s.gpu.state === 'ready');
  const { train, pause, step, reset } = useLab.getState();
  const state = run?.status.state;
  const paused = state === 'paused';
  const busy = isActive(run) && !paused; // building or running
  return (
    <section className="panel run-controls" aria-label="Run">
      <div className="buttons">
        <button type="button" className="primary" onClick={train} disabled={!gpuReady || busy}>
          {paused ? 'Resume' : 'Train'}
        </button>
        <button type="button" onClick={pause} disabled={state !== 'running'}>
          Pause
        </button>
        <button type="button" onClick={step} disabled={!gpuReady || busy} title="One optimizer step (starts a paused run if none is active)">
          Step
        </button>
        <button type="button" onClick={reset} disabled={!run} title="Stop the current run; its curve stays on the chart">
          Reset
        </button>
      </div>
      <p className={`status ${state ?? 'idle'}`} data-testid="run-status" data-state={state ?? 'idle'} data-step={run ? liveProgress(run).step : 0} aria-live="polite">
        {statusText(run)}
      </p>
    </section>
  );
}
