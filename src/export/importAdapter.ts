/**
 * Import a PEFT LoRA adapter for the page's current base model, strictly: the safetensors rules
 * (safetensors.ts), a LoRA config PEFT would load, only `base_model.model.layers.<i>.lora_{A,B}.weight`
 * tensors for adaptable layers 1..L, A (r, n) and B (n, r) with the config's r and the current width n,
 * both factors for every module, finite values, and target_modules naming exactly those modules.
 * Pure: files in, a new config and the factors out, or one ImportError naming the file and the problem.
 * A LoRA Lab export also carries its run's settings in the metadata (`lora_lab_config`): the task
 * settings that do not change shapes (seed, init, ...) are taken from there, so that the adapter is
 * evaluated on the task it was trained on; the shape settings must already match.
 */
import { validateConfig, type FieldKey, type RunConfig } from '../config/schema';
import { queryToConfig } from '../config/url';
import type { TensorMap } from '../engine/protocol';
import { moduleIndex, type ModelDesc } from '../engine/model';
import { toyModel } from '../tasks/toyModel';
import type { SafetensorsFile } from './safetensors';
import { adapterFiles, ImportError, type NamedFile } from './adapterFiles';
import { parsePeftConfig, readAdapterModel, targetMatcher } from './peftConfig';

export { ImportError, type NamedFile };

export interface ImportedAdapter {
  /** The files read, for messages. */
  source: string;
  /** The page's config with the adapter's settings (mode lora, r, lora_alpha, scaling, targets, ...). */
  config: RunConfig;
  /** Initial LoRA factors in the engine's names: 'A<i>' (r, n), 'B<i>' (n, r) for module layers.<i>. */
  tensors: TensorMap;
  /** Fields whose values came from the adapter and differ from the page's, e.g. ['r', 'seed']. */
  changed: FieldKey[];
}

/** Settings of the task that a LoRA Lab export records and an import restores (no shape changes). */
const TASK_FIELDS: FieldKey[] = ['seed', 'init', 'trueRank', 'shift', 'activation', 'loss'];
/** Settings that fix the shapes of the base model: they must match the page already. */
const SHAPE_FIELDS: FieldKey[] = ['width', 'layers', 'dIn', 'dOut'];

/** Settings the adapter's LoRA Lab metadata restores, or an error when its base model differs in shape. */
function fromMetadata(st: SafetensorsFile, current: RunConfig, file: string): Partial<RunConfig> {
  const query = st.metadata?.lora_lab_config;
  if (query === undefined) return {};
  const recorded = queryToConfig(query).config;
  const differ = SHAPE_FIELDS.filter((k) => recorded[k] !== current[k]);
  if (differ.length) {
    const want = differ.map((k) => `${k}=${recorded[k]}`).join(', ');
    const have = differ.map((k) => `${k}=${current[k]}`).join(', ');
    throw new ImportError(`${file}: trained on a base model with ${want}, but the page's base model has ${have}; set ${want} first`);
  }
  return Object.fromEntries(TASK_FIELDS.map((k) => [k, recorded[k]]));
}

export function importAdapter(files: readonly NamedFile[], current: RunConfig): ImportedAdapter {
  const { config: cfgFile, model: modelFile } = adapterFiles(files);
  const peft = parsePeftConfig(cfgFile);
  // the toy MLP is a plain nn.Module: a task type makes PEFT wrap it for a transformers model's inputs
  if (peft.task_type !== null) throw new ImportError(`${cfgFile.name}: task_type is ${JSON.stringify(peft.task_type)}; the toy MLP takes adapters with task_type null (a plain PyTorch module)`);
  const st = readAdapterModel(modelFile);
  // First: an export from another base model gets the message that says which settings to change.
  const restored = fromMetadata(st, current, modelFile.name);
  const fail = (problem: string): never => {
    throw new ImportError(`${modelFile.name}: ${problem}`);
  };
  // Module names and shapes from the page's model description; which ones may be adapted.
  const desc = toyModel(current);
  const L = current.layers;
  const r = peft.r;
  const factors = new Map<number, { A?: Float32Array; B?: Float32Array }>();
  for (const [key, t] of st.tensors) {
    const m = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/.exec(key);
    if (!m) fail(`unexpected tensor ${key}: a LoRA adapter holds only base_model.model.<module>.lora_A.weight and .lora_B.weight`);
    const [, module, factor] = m!;
    const i = moduleIndex(desc, module);
    const mod = desc.modules[i];
    if (!mod?.adaptable) {
      const beyond = /^layers\.(\d+)$/.exec(module) && Number(module.slice(7)) > L;
      const why = mod ? `${module} is frozen in LoRA Lab` : beyond ? `the page's base model has ${L} hidden layer${L > 1 ? 's' : ''}` : 'no such module';
      fail(`tensor ${key} adapts ${module}, but only ${adaptableRange(desc)} can be adapted (${why})`);
    }
    if (!t.data) fail(`tensor ${key} has dtype ${t.dtype}; LoRA factors must be floats (F32, F16, BF16 or F64)`);
    const want = factor === 'A' ? [r, mod.dIn] : [mod.dOut, r];
    if (t.shape.length !== 2 || t.shape[0] !== want[0] || t.shape[1] !== want[1]) {
      fail(`tensor ${key} has shape [${t.shape}], but with r = ${r} (${cfgFile.name.split('/').pop()}) and the page's width n = ${current.width} lora_${factor} of ${module} must be [${want}]`);
    }
    const f = factors.get(i) ?? {};
    f[factor as 'A' | 'B'] = t.data!;
    factors.set(i, f);
  }
  if (factors.size === 0) fail('holds no LoRA tensors');
  for (const [i, f] of factors) if (!f.A || !f.B) fail(`tensor base_model.model.${desc.modules[i].name}.lora_${f.A ? 'B' : 'A'}.weight is missing (every adapted module needs both factors)`);

  const layers = [...factors.keys()].sort((a, b) => a - b);
  const matches = targetMatcher(peft.target_modules, cfgFile.name);
  // PEFT tries to adapt every module a regex matches, and refuses containers such as the ModuleList
  if (typeof peft.target_modules === 'string' && matches('layers')) throw new ImportError(`${cfgFile.name}: target_modules ${JSON.stringify(peft.target_modules)} also matches the module list "layers", which PEFT cannot adapt`);
  const name = (i: number) => desc.modules[i].name;
  const unmatched = layers.find((i) => !matches(name(i)));
  if (unmatched !== undefined) throw new ImportError(`${cfgFile.name}: target_modules ${JSON.stringify(peft.target_modules)} does not name ${name(unmatched)}, which ${modelFile.name.split('/').pop()} adapts`);
  if (Array.isArray(peft.target_modules)) {
    const extra = peft.target_modules.find((t) => !layers.some((i) => name(i) === t || name(i).endsWith(`.${t}`)));
    if (extra !== undefined) throw new ImportError(`${cfgFile.name}: target_modules names ${extra}, but ${modelFile.name.split('/').pop()} has no factors for it`);
  }

  const patch: Partial<RunConfig> = {
    ...restored,
    mode: 'lora',
    r,
    lora_alpha: peft.lora_alpha,
    scaling: peft.use_rslora ? 'rslora' : 'standard',
    targets: layers,
    lora_dropout: peft.lora_dropout,
  };
  const { config, errors } = validateConfig({ ...current, ...patch });
  if (errors.length) throw new ImportError(`${cfgFile.name}: the adapter's settings do not fit LoRA Lab: ${errors[0]}`);
  const tensors: TensorMap = {};
  for (const [i, f] of factors) {
    tensors[`A${i}`] = f.A!;
    tensors[`B${i}`] = f.B!;
  }
  const changed = (Object.keys(patch) as FieldKey[]).filter((k) => JSON.stringify(config[k]) !== JSON.stringify(current[k]));
  return { source: files.map((f) => f.name).join(' + '), config, tensors, changed };
}

/** "layers.1..layers.3": the first and last adaptable module (the toy model's are consecutive). */
function adaptableRange(desc: ModelDesc): string {
  const names = desc.modules.filter((m) => m.adaptable).map((m) => m.name);
  return names.length > 1 ? `${names[0]}..${names[names.length - 1]}` : (names[0] ?? 'no module');
}
