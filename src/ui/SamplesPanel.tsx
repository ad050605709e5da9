/**
 * Live text samples of the language model: the current run's continuation of the prompt next to the
 * base model's, same prompt, seed, temperature, top-k and length. While the run trains, a new sample is asked
 * for when a new step was logged, at least SAMPLE_EVERY_MS after the last one came back (sampling
 * shares the GPU with training: on a slow GPU samples never pile up or starve it); once the run has
 * ended, "Generate" samples its trained weights. The prompt and the controls are editable.
 */
import { useEffect, useRef } from 'react';
import { isActive, useLab } from '../store/store';

export const SAMPLE_EVERY_MS = 4000;

/** Bytes that do not print (newlines stay) shown as a middle dot, so a sample never breaks the layout. */
const printable = (s: string) => s.replace(/[\u0000-\u0009\u000b-\u001f\u007f\ufffd]/g, '·');

export function SamplesPanel() {
  const run = useLab((s) => s.runs.find((r) => r.id === s.currentId && r.config.task === 'lm'));
  const settings = useLab((s) => s.sampleSettings);
  const samples = useLab((s) => s.samples);
  const set = useLab((s) => s.setSampleSettings);
  const running = run?.status.state === 'running';
  const step = run?.points.at(-1)?.step ?? 0;
  const hasStarted = step > 0;

  const last = useRef({ step: 0, done: 0 });
  useEffect(() => {
    if (!running || !hasStarted || samples.busy || step <= last.current.step) return;
    const wait = last.current.done + SAMPLE_EVERY_MS - performance.now();
    const timer = setTimeout(() => {
      last.current.step = step;
      void useLab.getState().sample().finally(() => (last.current.done = performance.now()));
    }, Math.max(0, wait));
    return () => clearTimeout(timer);
  }, [running, hasStarted, step, samples.busy]);

  return (
    <section className="panel samples" aria-label="Text samples" data-testid="samples">
      <h2>Text samples</h2>
      <div className="sample-controls">
        <label>
          Prompt <textarea aria-label="Prompt" rows={2} value={settings.prompt} onChange={(e) => set({ prompt: e.target.value })} />
        </label>
        <label>
          Temperature{' '}
          <input type="number" aria-label="Temperature" min={0} max={2} step={0.1} value={settings.temperature} onChange={(e) => Number.isFinite(e.target.valueAsNumber) && set({ temperature: Math.min(2, Math.max(0, e.target.valueAsNumber)) })} />
        </label>
        <label>
          Top-k{' '}
          <input type="number" aria-label="Top-k" title="Sample among the k most likely bytes only; 0 = all" min={0} max={256} step={1} value={settings.topK} onChange={(e) => Number.isFinite(e.target.valueAsNumber) && set({ topK: Math.min(256, Math.max(0, Math.round(e.target.valueAsNumber))) })} />
        </label>
        <label>
          Length{' '}
          <input type="number" aria-label="Length" min={1} max={120} step={1} value={settings.length} onChange={(e) => Number.isFinite(e.target.valueAsNumber) && set({ length: Math.min(120, Math.max(1, Math.round(e.target.valueAsNumber))) })} />
        </label>
        <label>
          Seed <input type="number" aria-label="Sample seed" min={0} step={1} value={settings.seed} onChange={(e) => Number.isFinite(e.target.valueAsNumber) && set({ seed: Math.max(0, Math.round(e.target.valueAsNumber)) })} />
        </label>
        <button type="button" onClick={() => void useLab.getState().sample()} disabled={samples.busy || (!!run && isActive(run) && running)}>
          {samples.busy ? 'Generating…' : 'Generate'}
        </button>
      </div>
      <div className="sample-pair">
        <figure>
          <figcaption>Base model (pretrained on the King James Bible)</figcaption>
          <pre data-testid="sample-base">{samples.base ? printable(settings.prompt) + printable(samples.base.text) : '—'}</pre>
        </figure>
        <figure>
          <figcaption>{run ? `This run${samples.tuned?.step != null ? ` at step ${samples.tuned.step}` : samples.tuned ? ' (trained)' : ''}` : samples.tuned ? 'The imported adapter' : 'No run yet'}</figcaption>
          <pre data-testid="sample-tuned" data-step={samples.tuned?.step ?? ''}>{samples.tuned ? printable(settings.prompt) + printable(samples.tuned.text) : run ? 'Samples appear here while it trains.' : 'Press Train.'}</pre>
        </figure>
      </div>
      {samples.error && <p className="field-error">{samples.error}</p>}
    </section>
  );
}
