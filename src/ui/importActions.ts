/**
 * The page's side of imports. A dropped or picked adapter is checked completely (importAdapter, pure)
 * before anything changes: a rejected file only adds one notice; an accepted one sets the settings
 * (r, lora_alpha, scaling, targets, and the task settings a LoRA Lab export records).
 * Then the adapter can be
 * - evaluated: the eval loss of the task's held-out set, with and without the adapter, computed in the
 *   engine's worker from the GPU forward pass (no training step: the adapter is measured as it is), or
 * - trained further: a new run whose LoRA factors start from the adapter's (the engine's initTensors).
 */
import { runLabel } from '../store/runLabel';
import { requestEvaluation } from '../store/engineCalls';
import { useLab } from '../store/store';
import type { Evaluation } from '../engine/protocol';
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

export type { Evaluation };

/**
 * Eval loss on the task's held-out set (the same set and loss as a run's eval loss), for the base model
 * and with the adapter, computed by the engine.
 */
export function evaluateAdapter(a: ImportedAdapter): Promise<Evaluation> {
  return requestEvaluation(a.config, a.tensors);
}

/** Start a new run (with the page's current steps, learning rate, ...) from the adapter's factors. */
export function trainAdapter(a: ImportedAdapter): string {
  const s = useLab.getState();
  const config = { ...s.config, ...pick(a) };
  // Copies: the adapter can be trained again later, and the message is cloned, not transferred.
  const initTensors = Object.fromEntries(Object.entries(a.tensors).map(([k, t]) => [k, t.slice()]));
  return s.trainFrom(config, initTensors, `${runLabel(config)} (from ${a.source.split('/')[0]})`);
}

/** The settings that make the factors fit: those the import set (the rest follows the page). */
function pick(a: ImportedAdapter) {
  const c = a.config;
  return { mode: c.mode, r: c.r, lora_alpha: c.lora_alpha, scaling: c.scaling, targets: c.targets, width: c.width, layers: c.layers, dIn: c.dIn, dOut: c.dOut, seed: c.seed, init: c.init, trueRank: c.trueRank, shift: c.shift, activation: c.activation, loss: c.loss };
}
