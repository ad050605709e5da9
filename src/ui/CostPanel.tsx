/** What the current settings cost, next to full fine-tuning (FFT) of the same layers. */
import { useMemo } from 'react';
import { costOf } from '../config/cost';
import { groupMemory, limitsProblem } from '../config/memory';
import { LM_CELLS } from '../config/schema';
import { formatBytes, percent } from '../format';
import { useLab } from '../store/store';
import { liveProgress } from './chartData';

const count = (n: number) => n.toLocaleString('en-US');
const flops = (f: number) => (f >= 1e9 ? `${(f / 1e9).toFixed(2)} GFLOP` : `${(f / 1e6).toFixed(1)} MFLOP`);

export function CostPanel() {
  const config = useLab((s) => s.config);
  const run = useLab((s) => s.runs.find((r) => r.id === s.currentId));
  const sps = run ? liveProgress(run).stepsPerSec : 0;
  const c = costOf(config);
  const lora = config.mode === 'lora';
  const gpu = useLab((s) => s.gpu);
  const budget = useLab((s) => s.memoryBudget);
  const mem = useMemo(() => groupMemory([config]), [config]);
  const problem = gpu.state === 'ready' ? limitsProblem([config], { ...gpu.adapter.limits, budget }, mem) : null;
  // what the current run's trainer allocated, when it was built from these settings
  const allocated = run && run.config === config ? run.status.gpuBytes : undefined;
  // In FFT mode the settings are the FFT column, so it is shown once.
  const rows: [string, string, string, string][] = [
    ['trainable', 'Trainable parameters', count(c.trainableParams), count(c.fft.trainableParams)],
    ['percent', '% of the adapted layers', `${percent(c.percentOfAdapted)}%`, '100%'],
    ['adapter-bytes', lora ? 'Adapter weights (f32)' : 'Trained weights (f32)', formatBytes(c.adapterBytes), formatBytes(c.fft.bytes)],
    ['optimizer-bytes', `Optimizer state (${config.optimizer === 'adamw' ? 'AdamW m, v' : 'SGD momentum'})`, formatBytes(c.optimizerStateBytes), formatBytes(c.fft.optimizerStateBytes)],
  ];
  if (c.lm) rows.push(['flops', `Arithmetic per step (${count(c.lm.tokensPerStep)} tokens)`, flops(c.lm.flopsPerStep), flops(c.lm.fftFlopsPerStep)]);
  return (
    <section className="panel cost" aria-label="Cost" data-testid="cost-panel">
      <h2>What it costs</h2>
      <table>
        <thead>
          <tr>
            <th scope="col"></th>
            <th scope="col">{lora ? `LoRA r=${config.r}` : 'Full fine-tuning'}</th>
            {lora && <th scope="col">Full fine-tuning</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map(([key, name, mine, fft]) => (
            <tr key={key}>
              <th scope="row">{name}</th>
              <td data-field={key}>{mine}</td>
              {lora && <td data-field={`fft-${key}`}>{fft}</td>}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="note" data-testid="gpu-memory" data-estimate={mem.totalBytes} data-allocated={allocated ?? ''}>
        GPU memory (estimate): <strong>{formatBytes(mem.totalBytes)}</strong>, largest buffer {formatBytes(mem.largest.bytes)}
        {allocated !== undefined && <> · allocated by the current run: {formatBytes(allocated)}</>}
      </p>
      {problem && (
        <p className="note error" role="alert" data-testid="memory-problem">
          {problem}
        </p>
      )}
      <p className="note">
        {c.lm ? (
          <>Adapted projections: {config.lmTargets.length} of {LM_CELLS}; frozen base model (tiny Llama, byte vocabulary) {count(c.baseParams)} parameters.</>
        ) : (
          <>
            Adapted layers: {config.targets.length} of {config.layers} (n × n = {config.width} × {config.width} each); frozen base model {count(c.baseParams)} parameters.
          </>
        )}
        <br />
        Speed of the current run: <strong data-field="steps-per-sec">{sps > 0 ? `${sps.toFixed(sps < 10 ? 2 : 1)} steps/s` : '—'}</strong>
        {c.lm && sps > 0 && <strong data-field="tokens-per-sec"> · {Math.round(sps * c.lm.tokensPerStep).toLocaleString('en-US')} tokens/s</strong>}
      </p>
    </section>
  );
}
