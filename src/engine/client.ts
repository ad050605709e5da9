/** Main-thread handle on the engine worker: sends typed messages, hands replies to the store. */
import type { FromEngine, ToEngine } from './protocol';

export interface EngineClient {
  send(msg: ToEngine): void;
  terminate(): void;
}

export function startEngine(onMessage: (m: FromEngine) => void): EngineClient {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'lora-lab-engine' });
  worker.onmessage = (ev: MessageEvent<FromEngine>) => onMessage(ev.data);
  worker.onerror = (ev) => onMessage({ type: 'error', kind: 'engine', message: `Engine worker failed: ${ev.message}` });
  return {
    send: (msg) => worker.postMessage(msg),
    terminate: () => worker.terminate(),
  };
}
