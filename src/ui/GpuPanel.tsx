import { useLab } from '../store/store';
import { BROWSER_HELP } from '../gpu/device';
import { formatBytes } from '../format';

/**
 * The memory one run (or sweep group) may take, stated by the user: WebGPU does not say how much the GPU
 * has. Settings over it are refused before anything is allocated.
 */
function MemoryBudget() {
  const budget = useLab((s) => s.memoryBudget);
  return (
    <input
      id="memory-budget"
      type="number"
      min={16}
      step={256}
      value={Math.round(budget / 2 ** 20)}
      onChange={(e) => {
        const mib = Number(e.target.value);
        if (Number.isFinite(mib) && mib >= 16) useLab.getState().setMemoryBudget(mib * 2 ** 20);
      }}
    />
  );
}

/** The WebGPU adapter the engine got, or why there is none. */
export function GpuPanel() {
  const gpu = useLab((s) => s.gpu);
  if (gpu.state === 'probing') return <section aria-label="GPU" className="panel">Looking for a WebGPU adapter…</section>;
  if (gpu.state === 'error')
    return (
      <section aria-label="GPU" className="panel error" role="alert">
        <strong>No GPU available ({gpu.kind}).</strong> {gpu.message}
        {!gpu.message.includes('Chrome') && <p>{BROWSER_HELP}</p>}
      </section>
    );
  const a = gpu.adapter;
  return (
    <section aria-label="GPU" className="panel">
      <h2>GPU</h2>
      <dl className="adapter" data-testid="adapter-info">
        <dt>Vendor</dt>
        <dd data-field="vendor">{a.vendor}</dd>
        <dt>Architecture</dt>
        <dd data-field="architecture">{a.architecture}</dd>
        <dt>Fallback adapter</dt>
        <dd data-field="fallback">{a.isFallbackAdapter ? 'yes (software, slow)' : 'no'}</dd>
        <dt>Max storage binding</dt>
        <dd data-field="maxStorageBufferBindingSize">{formatBytes(a.limits.maxStorageBufferBindingSize)}</dd>
        <dt>Max buffer</dt>
        <dd data-field="maxBufferSize">{formatBytes(a.limits.maxBufferSize)}</dd>
        <dt>
          <label htmlFor="memory-budget">Memory budget (MiB)</label>
        </dt>
        <dd>
          <MemoryBudget />
        </dd>
        <dt>Workgroup storage</dt>
        <dd>{a.limits.maxComputeWorkgroupStorageSize / 1024} KiB</dd>
        <dt>Invocations / workgroup</dt>
        <dd>{a.limits.maxComputeInvocationsPerWorkgroup}</dd>
        <dt>Features</dt>
        <dd>{a.features.join(', ') || 'none'}</dd>
      </dl>
    </section>
  );
}
