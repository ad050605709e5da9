/**
 * The bench page: runs the measurements in registry.ts one after another and exposes the results on
 * window.__bench for scripts/bench.mjs. URL parameters: `quick=1`, `only=name1,name2`.
 */
import { acquireGpu } from '../src/gpu/device';
import { MEASUREMENTS, ON_REQUEST } from './registry';
import type { BenchContext, BenchState } from './types';

declare global {
  interface Window {
    __bench?: BenchState;
  }
}

const state: BenchState = { status: 'running', adapter: '', rows: [], failures: [] };
window.__bench = state;
const out = document.getElementById('log')!;

function log(msg: string): void {
  console.log(`[bench] ${msg}`);
  out.textContent += `${msg}\n`;
}

function fail(err: unknown): void {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  state.failures.push(msg);
  console.error(`[bench] FAILED ${msg}`);
  out.textContent += `FAILED ${msg}\n`;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const quick = params.get('quick') === '1';
  const only = params.get('only')?.split(',').filter(Boolean);
  const gpu = await acquireGpu({ onError: (e) => fail(e) });
  const s = gpu.summary;
  state.adapter = `${s.vendor} ${s.architecture} ${s.description}`.trim() + (s.isFallbackAdapter ? ' (fallback adapter)' : '');
  log(`adapter: ${state.adapter}; ${quick ? 'quick' : 'full'} run`);
  const ctx: BenchContext = { device: gpu.device, quick, log, fail };
  const chosen = only ? [...MEASUREMENTS, ...ON_REQUEST].filter((m) => only.includes(m.name)) : MEASUREMENTS;
  if (only && chosen.length !== only.length) fail(new Error(`unknown measurement in only=${only.join(',')}; have ${[...MEASUREMENTS, ...ON_REQUEST].map((m) => m.name).join(', ')}`));
  for (const m of chosen) {
    const t0 = performance.now();
    try {
      state.rows.push(...(await m.run(ctx)));
    } catch (e) {
      fail(e);
    }
    log(`${m.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

main()
  .catch(fail)
  .finally(() => {
    state.status = 'done';
  });
