/**
 * The page's side of imports. A dropped or picked adapter is checked completely (importAdapter, pure)
 * before anything changes: a rejected file only adds one notice; an accepted one sets the settings
 * (r, lora_alpha, scaling, targets, and the task settings a LoRA Lab export records).
 * Then the adapter can be
 * - evaluated: the eval loss of the task's held-out set, with and without the adapter, from the GPU
 *   forward pass (no training step, so the adapter is measured exactly as it is), or
 * - trained further: a new run whose LoRA factors start from the adapter's (the engine's initTensors).
 */
import { runLabel } from '../store/runLabel';
import { engineBridge, requestForward } from '../store/engineCalls';
import { isActive, MAX_RUNS, useLab, type RunRecord } from '../store/store';
import { buildTask } from '../tasks/toy';
import { mseLoss } from '../ref/mse';
import { crossEntropyLoss } from '../ref/cross_entropy';
import { importAdapter, ImportError, type ImportedAdapter, type NamedFile } from '../export/importAdapter';
import { notify } from './exportActions';

export type { ImportedAdapter };

export async function readFiles(list: Iterable<File>): Promise<NamedFile[]> {
  return Promise.all([...list].map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
}

/** Check the files; on success apply the adapter's settings. Returns null (and adds a notice) when rejected. */
export function applyImport(files: NamedFile[]): ImportedAdapter | null {
  let adapter: ImportedAdapter;
  try {
    adapter = importAdapter(files, useLab.getState().config);
  } catch (e) {
    notify(e instanceof ImportError ? `Import rejected: ${e.message}` : `Import failed: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
  useLab.getState().setConfig(adapter.config);
  const changed = adapter.changed.length ? ` Settings taken from the adapter: ${adapter.changed.map((k) => `${k}=${String(adapter.config[k])}`).join(', ')}.` : '';
  notify(`Imported the adapter from ${adapter.source}.${changed} Evaluate it or train it further.`);
  return adapter;
}

export interface Evaluation {
  baseLoss: number;
  adapterLoss: number;
  rows: number;
}

/**
 * Eval loss on the task's held-out set (the same set and loss as a run's eval loss), for the base model
 * and with the adapter. The targets come from buildTask on this thread (the worker builds the same
 * task for every run), the outputs from the GPU.
 */
export async function evaluateAdapter(a: ImportedAdapter): Promise<Evaluation> {
  const cfg = a.config;
  const task = buildTask(cfg);
  const rows = cfg.evalSize;
  const { base, adapted } = await requestForward(cfg, a.tensors, task.evalX, rows);
  const loss = (out: Float32Array) =>
    cfg.loss === 'mse' ? mseLoss(out, task.evalY, 1 / task.sigma2).loss : crossEntropyLoss(out, task.evalLabels, rows, cfg.dOut).loss;
  return { baseLoss: loss(base), adapterLoss: loss(adapted), rows };
}

let importCounter = 0;

/** Start a new run (with the page's current steps, learning rate, ...) from the adapter's factors. */
export function trainAdapter(a: ImportedAdapter): string {
  const s = useLab.getState();
  const config = { ...s.config, ...pick(a) };
  if (isActive(s.runs.find((r) => r.id === s.currentId))) engineBridge.send({ type: 'stop' });
  const id = `run-import-${Date.now().toString(36)}-${++importCounter}`;
  const rec: RunRecord = { id, config, label: `${runLabel(config)} (from ${a.source.split('/')[0]})`, status: { state: 'building', step: 0, stepsPerSec: 0 }, points: [] };
  useLab.setState((st) => ({ config, runs: [...st.runs, rec].slice(-MAX_RUNS), currentId: id }));
  // Copies: the adapter can be trained again later, and the message is cloned, not transferred.
  const initTensors = Object.fromEntries(Object.entries(a.tensors).map(([k, t]) => [k, t.slice()]));
  engineBridge.send({ type: 'start', runId: id, config, initTensors });
  return id;
}

/** The settings that make the factors fit: those the import set (the rest follows the page). */
function pick(a: ImportedAdapter) {
  const c = a.config;
  return { mode: c.mode, r: c.r, lora_alpha: c.lora_alpha, scaling: c.scaling, targets: c.targets, width: c.width, layers: c.layers, dIn: c.dIn, dOut: c.dOut, seed: c.seed, init: c.init, trueRank: c.trueRank, shift: c.shift, activation: c.activation, loss: c.loss };
}
