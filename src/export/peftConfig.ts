/**
 * Reading a PEFT adapter folder's two files strictly, for both imports (importAdapter.ts for the toy MLP,
 * importLmAdapter.ts for the language model): adapter_config.json as a LoRA config PEFT would load (its
 * defaults where a field is absent; the features LoRA Lab does not implement refused by name), PEFT's
 * rules for which modules the config selects, and adapter_model.safetensors through the strict reader.
 * Every problem is one ImportError naming the file.
 */
import { ImportError, type NamedFile } from './adapterFiles';
import { readSafetensors, SafetensorsError, type SafetensorsFile } from './safetensors';

export interface PeftSettings {
  r: number;
  lora_alpha: number;
  use_rslora: boolean;
  lora_dropout: number;
  target_modules: string[] | string;
  task_type: string | null;
  /** Layer indices target_modules is narrowed to; null: every layer. */
  layers_to_transform: number[] | null;
  /** Names after which PEFT reads the layer index ("layers" in model.layers.3...); null: its default. */
  layers_pattern: string[] | null;
}

export interface ParseOptions {
  /** Whether layers_to_transform may narrow target_modules (the toy MLP's modules have no layer index). */
  layers: boolean;
  /**
   * What PEFT uses when target_modules is absent or null: its default for the model type (["q_proj",
   * "v_proj"] for llama); none for a plain nn.Module (the toy MLP), where PEFT refuses.
   */
  defaultTargets?: string[];
}

/** PEFT 0.21's task types (peft.utils.peft_types.TaskType); any other string is refused by PEFT. */
const TASK_TYPES = ['SEQ_CLS', 'SEQ_2_SEQ_LM', 'CAUSAL_LM', 'TOKEN_CLS', 'QUESTION_ANS', 'FEATURE_EXTRACTION'];

/** LoraConfig's booleans: PEFT reads any JSON value by Python truthiness, so only true, false or null is taken. */
const BOOLEANS = ['use_rslora', 'use_dora', 'lora_bias', 'fan_in_fan_out', 'use_qalora', 'ensure_weight_tying', 'inference_mode'];

/**
 * LoraConfig options of PEFT 0.21 that change what is built or loaded, which LoRA Lab does not implement:
 * refused when set to anything but their default (absent, null, empty). megatron_core, qalora_group_size
 * and runtime_config only matter together with one of these, or not for loading, and are ignored.
 */
const UNSUPPORTED_OPTIONS: Record<string, string> = {
  exclude_modules: 'excludes modules from target_modules',
  layer_replication: 'duplicates base layers',
  megatron_config: 'builds Megatron parallel layers',
  trainable_token_indices: 'trains token embeddings',
  loftq_config: 'quantises the base (LoftQ)',
  eva_config: 'initialises with EVA',
  corda_config: 'initialises with CorDA',
  lora_ga_config: 'initialises with LoRA-GA',
  velora_config: 'adds VeLoRA layers',
  alora_invocation_tokens: 'makes an activated LoRA (aLoRA)',
  monteclora_config: 'adds MonteCLoRA samplers',
  target_parameters: 'adapts parameters instead of modules',
  use_bdlora: 'makes block-diagonal LoRA',
  arrow_config: 'routes several LoRAs (Arrow)',
  kasa_config: 'adds KaSA layers',
};

/**
 * init_lora_weights values whose init PEFT runs and then overwrites with the saved factors ("eva" is
 * data-driven and only runs when called explicitly, so loading leaves the base alone).
 */
const PLAIN_INITS = [true, false, 'gaussian', 'orthogonal', 'eva'];

function isNonEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export function parsePeftConfig(file: NamedFile, opts: ParseOptions = { layers: false }): PeftSettings {
  const fail = (problem: string): never => {
    throw new ImportError(`${file.name}: ${problem}`);
  };
  let c: Record<string, unknown>;
  try {
    // ignoreBOM keeps a byte-order mark, which JSON.parse then refuses, as Python's json does
    c = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(file.bytes));
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) fail('not a JSON object');
  if (c.peft_type !== 'LORA') fail(`peft_type is ${JSON.stringify(c.peft_type)}; only LoRA adapters ("LORA") can be imported`);
  // PEFT's LoraConfig defaults where a field is absent; a field present as null is not absent (PEFT
  // then cannot compute the scaling, or crashes on it), so it is refused.
  for (const k of ['r', 'lora_alpha', 'rank_pattern', 'alpha_pattern', 'lora_dropout'] as const)
    if (k in c && c[k] === null) fail(`${k} is null, which PEFT 0.21 cannot load${k === 'r' || k === 'lora_alpha' ? ' (no scaling)' : ''}: leave it out or give a value`);
  for (const k of BOOLEANS) if (c[k] !== undefined && c[k] !== null && typeof c[k] !== 'boolean') fail(`${k} must be true or false (got ${JSON.stringify(c[k])}); PEFT would read it as ${c[k] ? 'true' : 'false'}`);
  for (const k of ['rank_pattern', 'alpha_pattern'])
    if (c[k] !== undefined && (typeof c[k] !== 'object' || Array.isArray(c[k]))) fail(`${k} must be an object of module patterns (got ${JSON.stringify(c[k])})`);
  const init = c.init_lora_weights ?? true;
  // these re-initialise at load time and change the base weights themselves (PiSSA, OLoRA, LoftQ,
  // CorDA): PEFT would not give the model the page trained against
  if (typeof init === 'string' && /^(pissa|olora|loftq|corda)/i.test(init)) fail(`init_lora_weights is ${JSON.stringify(init)}: PEFT re-runs it on load and changes the base weights, so the adapter would not mean what it meant here`);
  if (!PLAIN_INITS.includes(init as boolean | string)) fail(`init_lora_weights must be true, false, "gaussian", "orthogonal" or "eva" (got ${JSON.stringify(init)}); PEFT refuses other values or runs an init LoRA Lab does not implement`);
  // a *_config option is on when it is anything but null (even {}); a list option when it is non-empty
  const isSet = (k: string) => (k.endsWith('_config') && k !== 'loftq_config') || k === 'use_bdlora' ? c[k] !== undefined && c[k] !== null : isNonEmpty(c[k]);
  for (const [k, what] of Object.entries(UNSUPPORTED_OPTIONS)) if (isSet(k)) fail(`${k} is set (${JSON.stringify(c[k])}): it ${what}, which LoRA Lab does not support`);
  const r = c.r ?? 8;
  const alpha = c.lora_alpha ?? 8;
  if (!isInt(r) || r < 1) fail(`r must be a positive integer (got ${JSON.stringify(r)})`);
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) fail(`lora_alpha must be a positive number (got ${JSON.stringify(alpha)})`);
  const rslora = c.use_rslora ?? false;
  if (typeof rslora !== 'boolean') fail(`use_rslora must be true or false (got ${JSON.stringify(rslora)})`);
  const dropout = c.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) fail(`lora_dropout must be a number in [0, 1) (got ${JSON.stringify(dropout)})`);
  if (init === 'orthogonal' && (r as number) % 2 !== 0) fail(`init_lora_weights "orthogonal" needs an even r (got r = ${r}); PEFT refuses it`);
  const unsupported: [string, boolean][] = [
    ['use_dora is true: DoRA adapters are not supported', c.use_dora === true],
    ['use_qalora is true: QALoRA adapters are not supported', c.use_qalora === true],
    // "all" and "lora_only" train biases; the base models have none, so PEFT loads the same model
    [`bias is ${JSON.stringify(c.bias)}: PEFT takes "none", "all" or "lora_only"`, c.bias !== undefined && !['none', 'all', 'lora_only'].includes(c.bias as string)],
    ['lora_bias is true: LoRA biases are not supported', c.lora_bias === true],
    ['rank_pattern sets per-layer ranks, which are not supported', isNonEmpty(c.rank_pattern)],
    ['alpha_pattern sets per-layer alphas, which are not supported', isNonEmpty(c.alpha_pattern)],
    ['modules_to_save is set: extra trained modules are not supported', isNonEmpty(c.modules_to_save)],
    ['layers_to_transform is set: list the layers in target_modules instead', !opts.layers && isNonEmpty(c.layers_to_transform)],
  ];
  const hit = unsupported.find(([, bad]) => bad);
  if (hit) fail(hit[0]);
  // fan_in_fan_out: PEFT sets it back to false for nn.Linear (with a warning), so it changes nothing here
  const tm = c.target_modules ?? opts.defaultTargets;
  if (!(typeof tm === 'string' || (Array.isArray(tm) && tm.length > 0 && tm.every((t) => typeof t === 'string')))) {
    fail(`target_modules must be a non-empty list of module names (got ${JSON.stringify(tm)})`);
  }
  const task = c.task_type ?? null;
  if (task !== null && !TASK_TYPES.includes(task as string)) fail(`task_type must be null or one of PEFT's ${TASK_TYPES.join(', ')} (got ${JSON.stringify(task)})`);
  // PEFT accepts one index or a list; an empty list means every layer, as null does.
  const lt = c.layers_to_transform ?? null;
  if (lt !== null && !isInt(lt) && !(Array.isArray(lt) && lt.every(isInt))) fail(`layers_to_transform must be a layer index or a list of them (got ${JSON.stringify(lt)})`);
  const layers = lt === null ? null : isInt(lt) ? [lt] : (lt as number[]).length ? (lt as number[]) : null;
  if (layers !== null && typeof tm === 'string') fail('layers_to_transform cannot narrow a target_modules regular expression (PEFT refuses this too)');
  const lp = c.layers_pattern ?? null;
  if (lp !== null && typeof lp !== 'string' && !(Array.isArray(lp) && lp.every((p) => typeof p === 'string'))) fail(`layers_pattern must be a name or a list of names (got ${JSON.stringify(lp)})`);
  const patterns = lp === null ? null : typeof lp === 'string' ? (lp ? [lp] : null) : (lp as string[]).length ? (lp as string[]) : null;
  if (patterns !== null && layers === null) fail(`layers_pattern ${JSON.stringify(lp)} is set without layers_to_transform, which PEFT refuses`);
  for (const p of patterns ?? []) {
    try {
      new RegExp(p);
    } catch {
      fail(`layers_pattern ${JSON.stringify(p)} is not a valid regular expression`);
    }
  }
  return {
    r: r as number,
    lora_alpha: alpha as number,
    use_rslora: rslora as boolean,
    lora_dropout: dropout as number,
    target_modules: tm as string[] | string,
    task_type: task as string | null,
    layers_to_transform: layers,
    layers_pattern: patterns,
  };
}

/** PEFT's matching: a list entry matches a module named exactly so or ending in ".<entry>"; a string is a full-match regex. */
export function targetMatcher(tm: string[] | string, file: string): (m: string) => boolean {
  if (Array.isArray(tm)) return (m) => tm.some((t) => m === t || m.endsWith(`.${t}`));
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${tm})$`);
  } catch {
    throw new ImportError(`${file}: target_modules ${JSON.stringify(tm)} is not a valid regular expression`);
  }
  return (m) => re.test(m);
}

/**
 * The layer index PEFT reads from a module name when layers_to_transform is set: the first number after
 * "<pattern>." (any name segment when layers_pattern is absent), e.g. 3 in model.layers.3.mlp.up_proj.
 */
export function layerIndex(module: string, patterns: string[] | null): number | null {
  const res = patterns === null ? [/^.*?\.[^.]*\.(\d+)\./] : patterns.map((p) => new RegExp(`^(?:.*?\\.)?${p}\\.(\\d+)\\.`));
  for (const re of res) {
    const m = re.exec(module);
    if (m) return Number(m[1]);
  }
  return null;
}

export function readAdapterModel(file: NamedFile): SafetensorsFile {
  try {
    return readSafetensors(file.bytes, file.name);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new ImportError(e.message);
    throw e;
  }
}
