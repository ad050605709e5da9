/**
 * An imported PEFT LoRA adapter. The files are checked completely (importAdapter, pure) before anything
 * changes: a rejected file only adds a notice; an accepted one sets the settings (r, lora_alpha, scaling,
 * targets, and the task settings a LoRA Lab export records). Then the adapter can be
 * - evaluated: the eval loss of the task's held-out set, with and without the adapter, computed in the
 *   engine's worker from the GPU forward pass (no training step: the adapter is measured as it is), or
 * - trained further: a new run whose LoRA factors start from the adapter's (the engine's initTensors).
 * Its factors are kept in the store's context; the state holds what the page shows of it.
 */
import type { FieldKey, RunConfig } from '../config/schema';
import type { Evaluation } from '../engine/protocol';
import { importAdapter, ImportError, type NamedFile } from '../export/importAdapter';
import { importLmAdapterFiles } from '../export/importLmAdapter';
import { BASE_SHAPE } from '../tasks/llamaBase';
import { lmModules } from '../tasks/lmTask';
import { cellsOf } from '../tasks/lmTargets';
import { errorText, request, type SliceCreator } from './context';
import { runLabel } from './runLabel';

export interface ImportedInfo {
  /** The files read, for messages. */
  source: string;
  /** The page's config with the adapter's settings. */
  config: RunConfig;
  /** Fields whose values came from the adapter and differed from the page's. */
  changed: FieldKey[];
}

export interface ImportSlice {
  imported: ImportedInfo | null;
  /** The imported adapter's eval losses, 'running' while the engine computes them. */
  importEvaluation: Evaluation | 'running' | null;
  /** Check the files; take the adapter and its settings, or add a notice saying why not. Returns whether it was taken. */
  importFiles(files: NamedFile[]): boolean;
  evaluateImport(): Promise<void>;
  /** Start a new run (with the page's current steps, learning rate, ...) from the adapter's factors; returns its id. */
  trainImported(): string | null;
}

/** The settings that make the factors fit: those the import set (the rest follows the page). */
function fitting(c: RunConfig): Partial<RunConfig> {
  if (c.task === 'lm') return { task: 'lm', mode: 'lora', r: c.r, lora_alpha: c.lora_alpha, scaling: c.scaling, lmTargets: c.lmTargets };
  return { mode: c.mode, r: c.r, lora_alpha: c.lora_alpha, scaling: c.scaling, targets: c.targets, width: c.width, layers: c.layers, dIn: c.dIn, dOut: c.dOut, seed: c.seed, init: c.init, trueRank: c.trueRank, shift: c.shift, activation: c.activation, loss: c.loss };
}

export const createImportSlice: SliceCreator<ImportSlice> = (set, get, ctx) => ({
  imported: null,
  importEvaluation: null,
  importFiles: (files) => {
    let adapter;
    try {
      adapter = get().config.task === 'lm' ? importLm(files, get().config) : importAdapter(files, get().config);
    } catch (e) {
      get().notify(e instanceof ImportError ? `Import rejected: ${e.message}` : `Import failed: ${errorText(e)}`);
      return false;
    }
    const { source, config, changed, tensors } = adapter;
    ctx.importTensors = tensors;
    set({ imported: { source, config, changed }, importEvaluation: null });
    get().setConfig(config);
    const taken = changed.length ? ` Settings taken from the adapter: ${changed.map((k) => `${k}=${String(config[k])}`).join(', ')}.` : '';
    get().notify(`Imported the adapter from ${source}.${taken} Evaluate it or train it further.`);
    return true;
  },
  evaluateImport: async () => {
    const a = get().imported;
    const tensors = ctx.importTensors;
    if (!a || !tensors || get().importEvaluation === 'running') return;
    set({ importEvaluation: 'running' });
    const m = await request(ctx, (requestId) => ({ type: 'evaluate', requestId, config: a.config, tensors }));
    if (get().imported !== a) return; // another adapter was imported meanwhile
    if (m.type === 'evaluate-result') set({ importEvaluation: m.evaluation });
    else {
      set({ importEvaluation: null });
      get().notify(`Evaluating the imported adapter failed: ${m.type === 'evaluate-error' ? m.message : `unexpected reply ${m.type}`}`);
    }
  },
  trainImported: () => {
    const a = get().imported;
    const tensors = ctx.importTensors;
    if (!a || !tensors) return null;
    const config = { ...get().config, ...fitting(a.config) };
    // Copies: the adapter can be trained again later, and the message is cloned, not transferred.
    const initTensors = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.slice()]));
    return get().trainFrom(config, initTensors, `${runLabel(config)} (from ${a.source.split('/')[0]})`);
  },
});

/**
 * A PEFT adapter for the shipped language model (validated against its names, shapes and config by
 * importLmAdapterFiles): the page's config with its rank, alpha, scaling and targets, and its factors
 * as the trainer names them ('A<i>', 'B<i>' for module i).
 */
function importLm(files: NamedFile[], page: RunConfig): { source: string; config: RunConfig; changed: FieldKey[]; tensors: Record<string, Float32Array> } {
  const a = importLmAdapterFiles(files, BASE_SHAPE);
  const config: RunConfig = { ...page, task: 'lm', mode: 'lora', r: a.r, lora_alpha: a.alpha, scaling: a.rslora ? 'rslora' : 'standard', lmTargets: cellsOf(a.targets.types, a.targets.layers) };
  const tensors: Record<string, Float32Array> = {};
  lmModules(config, BASE_SHAPE).forEach((m, i) => {
    const f = a.adapters[m.name];
    if (m.mode !== 'lora') return;
    if (!f) throw new ImportError(`the adapter has no factors for ${m.name}`);
    tensors[`A${i}`] = f.A;
    tensors[`B${i}`] = f.B;
  });
  const changed = (['r', 'lora_alpha', 'scaling', 'lmTargets'] as FieldKey[]).filter((k) => JSON.stringify(config[k]) !== JSON.stringify(page[k]));
  const source = files.map((f) => f.name).join(', ');
  return { source, config, changed, tensors };
}
