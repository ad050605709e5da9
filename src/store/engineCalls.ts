/**
 * Engine data that does not belong in the reactive store: trained tensors per run (kept for exports,
 * not rendered) and request/response calls (a GPU forward pass for an export's test cases).
 */
import type { RunConfig } from '../config/schema';
import type { Evaluation, TensorMap, ToEngine } from '../engine/protocol';

/** The engine connection, set once at start-up (outside the store state: not serialisable). */
export const engineBridge: { send: (m: ToEngine) => void } = { send: () => {} };

const weights = new Map<string, TensorMap>();

export const runWeights = {
  get: (runId: string) => weights.get(runId),
  set: (runId: string, t: TensorMap) => void weights.set(runId, t),
  delete: (runId: string) => void weights.delete(runId),
};

type Pending = { resolve: (r: { base: Float32Array; adapted: Float32Array }) => void; reject: (e: Error) => void };
const pending = new Map<string, Pending>();
let counter = 0;

/** The base and adapted model's outputs for `inputs` (rows, dIn), computed on the GPU by the engine. */
export function requestForward(config: RunConfig, tensors: TensorMap, inputs: Float32Array, rows: number): Promise<{ base: Float32Array; adapted: Float32Array }> {
  const requestId = `fwd-${++counter}`;
  return new Promise((resolve, reject) => {
    pending.set(requestId, { resolve, reject });
    engineBridge.send({ type: 'forward', requestId, config, tensors, inputs, rows });
  });
}

export function settleForward(requestId: string, result: { base: Float32Array; adapted: Float32Array } | Error): void {
  const p = pending.get(requestId);
  if (!p) return;
  pending.delete(requestId);
  if (result instanceof Error) p.reject(result);
  else p.resolve(result);
}

const evaluations = new Map<string, { resolve: (e: Evaluation) => void; reject: (e: Error) => void }>();

/** An adapter's eval loss and the base model's, computed by the engine (GPU forward, losses in the worker). */
export function requestEvaluation(config: RunConfig, tensors: TensorMap): Promise<Evaluation> {
  const requestId = `eval-${++counter}`;
  return new Promise((resolve, reject) => {
    evaluations.set(requestId, { resolve, reject });
    engineBridge.send({ type: 'evaluate', requestId, config, tensors });
  });
}

export function settleEvaluation(requestId: string, result: Evaluation | Error): void {
  const p = evaluations.get(requestId);
  if (!p) return;
  evaluations.delete(requestId);
  if (result instanceof Error) p.reject(result);
  else p.resolve(result);
}
