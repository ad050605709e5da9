/// <reference lib="webworker" />
/** The engine's Web Worker: owns the GPU device and all training; no React, no DOM. */
import { acquireGpu, GpuError, type Gpu } from '../gpu/device';
import type { FromEngine, ToEngine } from './protocol';

const post = (m: FromEngine) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m);
let gpu: Gpu | null = null;

function reportError(e: unknown): void {
  if (e instanceof GpuError) post({ type: 'error', kind: e.kind, message: e.message });
  else post({ type: 'error', kind: 'engine', message: e instanceof Error ? e.message : String(e) });
}

async function handle(msg: ToEngine): Promise<void> {
  switch (msg.type) {
    case 'init':
      gpu = await acquireGpu({ onError: reportError });
      post({ type: 'ready', adapter: gpu.summary });
      break;
  }
}

self.onmessage = (ev: MessageEvent<ToEngine>) => {
  handle(ev.data).catch(reportError);
};
