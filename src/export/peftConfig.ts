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
}

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
    c = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.bytes));
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) fail('not a JSON object');
  if (c.peft_type !== 'LORA') fail(`peft_type is ${JSON.stringify(c.peft_type)}; only LoRA adapters ("LORA") can be imported`);
  // PEFT's LoraConfig defaults where a field is absent; a field present as null is not absent (PEFT
  // then cannot compute the scaling, or crashes on it), so it is refused.
  for (const k of ['r', 'lora_alpha', 'rank_pattern', 'alpha_pattern'] as const)
    if (k in c && c[k] === null) fail(`${k} is null, which PEFT 0.21 cannot load${k === 'r' || k === 'lora_alpha' ? ' (no scaling)' : ''}: leave it out or give a value`);
  const init = c.init_lora_weights ?? true;
  if (typeof init !== 'boolean' && typeof init !== 'string') fail(`init_lora_weights must be true, false or a scheme name (got ${JSON.stringify(init)})`);
  // these re-initialise at load time and change the base weights themselves (PiSSA, OLoRA, LoftQ, EVA,
  // CorDA): PEFT would not give the model the page trained against
  if (typeof init === 'string' && /^(pissa|olora|loftq|eva|corda)/i.test(init)) fail(`init_lora_weights is ${JSON.stringify(init)}: PEFT re-runs it on load and changes the base weights, so the adapter would not mean what it meant here`);
  const r = c.r ?? 8;
  const alpha = c.lora_alpha ?? 8;
  if (!isInt(r) || r < 1) fail(`r must be a positive integer (got ${JSON.stringify(r)})`);
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) fail(`lora_alpha must be a positive number (got ${JSON.stringify(alpha)})`);
  const rslora = c.use_rslora ?? false;
  if (typeof rslora !== 'boolean') fail(`use_rslora must be true or false (got ${JSON.stringify(rslora)})`);
  const dropout = c.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) fail(`lora_dropout must be a number in [0, 1) (got ${JSON.stringify(dropout)})`);
  const unsupported: [string, boolean][] = [
    ['use_dora is true: DoRA adapters are not supported', c.use_dora === true],
    [`bias is ${JSON.stringify(c.bias)}: only "none" is supported (the base model has no biases)`, c.bias !== undefined && c.bias !== 'none'],
    ['lora_bias is true: LoRA biases are not supported', c.lora_bias === true],
    ['fan_in_fan_out is true: only nn.Linear (out, in) weights are supported', c.fan_in_fan_out === true],
    ['rank_pattern sets per-layer ranks, which are not supported', isNonEmpty(c.rank_pattern)],
    ['alpha_pattern sets per-layer alphas, which are not supported', isNonEmpty(c.alpha_pattern)],
    ['modules_to_save is set: extra trained modules are not supported', isNonEmpty(c.modules_to_save)],
    ['layers_to_transform is set: list the layers in target_modules instead', !opts.layers && isNonEmpty(c.layers_to_transform)],
  ];
  const hit = unsupported.find(([, bad]) => bad);
  if (hit) fail(hit[0]);
  const tm = c.target_modules;
  if (!(typeof tm === 'string' || (Array.isArray(tm) && tm.length > 0 && tm.every((t) => typeof t === 'string')))) {
    fail(`target_modules must be a non-empty list of module names (got ${JSON.stringify(tm)})`);
  }
  const task = c.task_type ?? null;
  if (task !== null && typeof task !== 'string') fail(`task_type must be a string or null (got ${JSON.stringify(task)})`);
  // PEFT accepts one index or a list; an empty list means every layer, as null does.
  const lt = c.layers_to_transform ?? null;
  if (lt !== null && !isInt(lt) && !(Array.isArray(lt) && lt.every(isInt))) fail(`layers_to_transform must be a layer index or a list of them (got ${JSON.stringify(lt)})`);
  const layers = lt === null ? null : isInt(lt) ? [lt] : (lt as number[]).length ? (lt as number[]) : null;
  if (layers !== null && typeof tm === 'string') fail('layers_to_transform cannot narrow a target_modules regular expression (PEFT refuses this too)');
  const lp = c.layers_pattern ?? null;
  if (lp !== null && typeof lp !== 'string' && !(Array.isArray(lp) && lp.every((p) => typeof p === 'string'))) fail(`layers_pattern must be a name or a list of names (got ${JSON.stringify(lp)})`);
  const patterns = lp === null ? null : typeof lp === 'string' ? (lp ? [lp] : null) : (lp as string[]).length ? (lp as string[]) : null;
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
