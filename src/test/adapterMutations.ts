/**
 * Seeded mutations of real exported adapters (adapterSources.ts) for importVerdicts.test.ts: every
 * adapter_config.json field set to wrong types, null, missing, out of range; every LoraConfig option of
 * PEFT 0.21 the page does not implement set to a non-default value; unknown keys; broken JSON text;
 * tensors renamed, transposed, resized, missing, extra, in other dtypes, with NaN / Inf; safetensors
 * bytes truncated or with a lying header length. Each case is the adapter folder PEFT reads and the
 * files dropped on the page, with the names a refusal's message may name. Zip cases: zipMutations.ts.
 */
import { Rng } from '../rng';
import type { NamedFile } from '../export/adapterFiles';
import { writeRawSafetensors, type RawTensor, type Source } from './adapterSources';

export interface AdapterFolder {
  config: Uint8Array;
  model: Uint8Array;
}

export interface MutationCase {
  id: string;
  family: string;
  what: string;
  base: 'toy' | 'lm';
  /** The adapter folder PEFT reads; null where PEFT has no counterpart (zip-level cases). */
  folder: AdapterFolder | null;
  /** What is dropped on the page. */
  drop: NamedFile[];
  /** A refusal's message must name one of these (a field, a tensor, a zip entry). */
  mentions: string[];
  /** Zip-level cases: refused by rule, or read as the folder inside it (then compared with PEFT). */
  zip?: 'refuse' | 'as-folder';
}

const MISSING = Symbol('missing');
const enc = (s: string) => new TextEncoder().encode(s);
export const folderDrop = (f: AdapterFolder): NamedFile[] => [
  { name: 'adapter_config.json', bytes: f.config },
  { name: 'adapter_model.safetensors', bytes: f.model },
];

/** Values of the wrong type or out of range, tried on every field. */
const GENERIC: unknown[] = [null, MISSING, 'x', 1.5, -1, 0, true, [], {}, 1e9, '8'];

/** Non-default values of PEFT LoraConfig options, and in-range changes of the supported ones. */
function specific(s: Source): [string, unknown][] {
  const lm = s.base === 'lm';
  const c = s.config;
  const tm = c.target_modules as string[];
  const mods = [...new Set(s.tensors.map((t) => /^base_model\.model\.(.+)\.lora_[AB]\.weight$/.exec(t.name)![1]))];
  const [mod] = mods;
  const other = lm ? 'k_proj' : 'layers.1';
  const inits = [false, 'gaussian', 'pissa', 'pissa_niter_4', 'olora', 'loftq', 'eva', 'corda', 'orthogonal', 'mica', 'lora_ga', 'bogus'];
  return [
    ['r', (c.r as number) + 1], ['r', 256], ['r', 4096],
    ['lora_alpha', 3.7], ['lora_alpha', 5000], ['lora_alpha', 0.001], ['lora_alpha', 64],
    ['lora_dropout', 0.5], ['lora_dropout', 0.95], ['lora_dropout', 1], ['lora_dropout', '0.1'],
    ['use_rslora', !c.use_rslora], ['use_rslora', 'true'],
    ['target_modules', lm ? `.*\\.(${tm.join('|')})` : tm.map((t) => t.replace('.', '\\.')).join('|')],
    ['target_modules', '.*'], ['target_modules', 'all-linear'], ['target_modules', [...tm, other]], ['target_modules', [...tm, 'nonexistent']],
    ['target_modules', tm.slice(0, 1)], ['target_modules', lm ? ['self_attn'] : ['layers']], ['target_modules', [lm ? 'lm_head' : 'head']],
    ['target_modules', mods], ['target_modules', mods.map((m) => `base_model.model.${m}`)],
    ['exclude_modules', [tm[0]]], ['exclude_modules', ['nothing']], ['exclude_modules', 'nothing'], ['exclude_modules', mod],
    ['task_type', 'SEQ_CLS'], ['task_type', lm ? null : 'CAUSAL_LM'], ['task_type', 'FEATURE_EXTRACTION'], ['task_type', 'causal_lm'],
    ['peft_type', 'IA3'], ['peft_type', 'lora'], ['peft_type', 'LOHA'],
    ['bias', 'all'], ['bias', 'lora_only'], ['bias', 'bogus'],
    ['fan_in_fan_out', true], ['use_dora', true], ['lora_bias', true],
    ['modules_to_save', [lm ? 'lm_head' : 'head']], ['modules_to_save', []], ['modules_to_save', lm ? 'lm_head' : 'head'],
    ['rank_pattern', { [mod]: c.r }], ['rank_pattern', { [mod]: (c.r as number) + 1 }], ['rank_pattern', { nothing: 5 }],
    ['alpha_pattern', { [mod]: (c.lora_alpha as number) * 2 }], ['alpha_pattern', { [mod]: c.lora_alpha }], ['alpha_pattern', { nothing: 1 }],
    ['layers_to_transform', [0]], ['layers_to_transform', 1], ['layers_to_transform', [0, 1]], ['layers_to_transform', []], ['layers_to_transform', [5]],
    ['layers_pattern', 'layers'], ['layers_pattern', 'blocks'], ['layers_pattern', ['layers']], ['layers_pattern', '('],
    ['layer_replication', [[0, 2]]], ['layer_replication', []], ['megatron_config', {}], ['megatron_core', 'megatron.core'],
    ['trainable_token_indices', [1, 2]], ['loftq_config', { loftq_bits: 4 }], ['eva_config', { rho: 2 }], ['corda_config', {}], ['lora_ga_config', {}],
    ['use_qalora', true], ['qalora_group_size', 8], ['target_parameters', [`${mod}.weight`]], ['alora_invocation_tokens', [1, 2]],
    ['runtime_config', { ephemeral_gpu_offload: true }], ['ensure_weight_tying', true], ['use_bdlora', {}], ['arrow_config', {}],
    ['kasa_config', {}], ['monteclora_config', {}], ['velora_config', {}],
    ...inits.map((v): [string, unknown] => ['init_lora_weights', v]),
    ['inference_mode', false], ['base_model_name_or_path', 'some/model'], ['revision', 'main'], ['peft_version', '0.1.0'],
    ['auto_mapping', { base_model_class: 'X', parent_library: 'y' }], ['lora_lab_note', 'x'], ['unknown_option', 1],
  ];
}

interface Gen {
  add(family: string, what: string, s: Source, folder: AdapterFolder, mentions: string[]): void;
}

const configBytes = (c: Record<string, unknown>) => enc(JSON.stringify(c, null, 2));

export function modelBytes(s: Source, tensors: readonly RawTensor[] = s.tensors, metadata: Record<string, unknown> | null = s.metadata): Uint8Array {
  return writeRawSafetensors(tensors, metadata);
}

function configCases(s: Source, g: Gen, rng: Rng): void {
  const model = modelBytes(s);
  const put = (family: string, key: string, value: unknown) => {
    const c = { ...s.config };
    if (value === MISSING) delete c[key];
    else c[key] = value;
    // the message names the field, or the tensor or module the changed field no longer fits
    g.add(family, `${key} = ${value === MISSING ? '(missing)' : JSON.stringify(value)}`, s, { config: configBytes(c), model }, [key, 'tensor base_model.', 'target_modules']);
  };
  // null and missing on every field, and two more of the wrong values drawn per field
  for (const key of Object.keys(s.config)) {
    const rest = GENERIC.slice(2);
    const drawn = [0, 1].map(() => rest.splice(Math.floor(rng.uniform() * rest.length), 1)[0]);
    for (const v of [null, MISSING, ...drawn]) put('config.generic', key, v);
  }
  for (const [key, v] of specific(s)) put(`config.${key}`, key, v);
  const text = JSON.stringify(s.config, null, 2);
  const raw: [string, string][] = [
    ['lora_alpha NaN literal', text.replace(/"lora_alpha": [^,\n]+/, '"lora_alpha": NaN')],
    ['lora_alpha Infinity literal', text.replace(/"lora_alpha": [^,\n]+/, '"lora_alpha": Infinity')],
    ['byte-order mark', '\ufeff' + text],
    ['trailing comma', text.replace(/\n}$/, ',\n}')],
    ['a list, not an object', `[${text}]`],
    ['empty file', ''],
    ['{}', '{}'],
    ['r given twice (the last wins in both parsers)', text.replace('{', `{\n  "r": 99,`)],
    ['a comment', `// adapter\n${text}`],
    ['Latin-1 byte', text.replace('"LORA"', '"LORA\u00e9"')],
  ];
  for (let k = 0; k < 4; k++) {
    const at = 1 + Math.floor(rng.uniform() * (text.length - 2));
    raw.push([`cut at byte ${at}`, text.slice(0, at)]);
  }
  for (const [what, t] of raw) g.add('config.text', what, s, { config: enc(t), model }, ['adapter_config.json']);
}

function transpose(t: RawTensor): RawTensor {
  const [m, n] = t.shape;
  const v = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) v[j * m + i] = t.values[i * n + j];
  return { ...t, shape: [n, m], values: v };
}

function tensorCases(s: Source, g: Gen, rng: Rng): void {
  const config = configBytes(s.config);
  const put = (family: string, what: string, tensors: RawTensor[], mentions: string[], metadata: Record<string, unknown> | null = s.metadata) =>
    g.add(family, what, s, { config, model: modelBytes(s, tensors, metadata) }, mentions);
  const replace = (i: number, t: RawTensor | null) => s.tensors.flatMap((x, k) => (k !== i ? [x] : t ? [t] : []));
  // two tensors drawn at random (distinct) of each source
  const first = Math.floor(rng.uniform() * s.tensors.length);
  const picks = [first, (first + 1 + Math.floor(rng.uniform() * (s.tensors.length - 1))) % s.tensors.length];
  for (const i of picks) {
    const t = s.tensors[i];
    const name = t.name;
    const renames: [string, string][] = [
      ['lora_A -> lora_a', name.replace('.lora_A.', '.lora_a.').replace('.lora_B.', '.lora_b.')],
      ['without base_model.model.', name.replace('base_model.model.', '')],
      ['with the adapter name', name.replace('.weight', '.default.weight')],
      ['.weight -> .bias', name.replace(/\.weight$/, '.bias')],
      ['A <-> B', name.includes('lora_A') ? name.replace('lora_A', 'lora_B') : name.replace('lora_B', 'lora_A')],
      ['another layer', name.replace(/layers\.(\d+)/, (_, l) => `layers.${Number(l) + 5}`)],
      ['a frozen module', s.base === 'lm' ? name.replace(/model\.layers\.\d+\.\w+\.\w+/, 'lm_head') : name.replace(/layers\.\d+/, 'layers.0')],
      ['the head', s.base === 'lm' ? name.replace(/model\.layers\.\d+\.\w+\.\w+/, 'model.embed_tokens') : name.replace(/layers\.\d+/, 'head')],
    ];
    for (const [what, to] of renames) put('tensor.rename', `${name}: ${what}`, replace(i, { ...t, name: to }), [name, to]);
    put('tensor.transpose', `${name} transposed`, replace(i, transpose(t)), [name]);
    const [m, n] = t.shape;
    for (const [what, shape] of [['rows + 1', [m + 1, n]], ['columns + 1', [m, n + 1]], ['rows - 1', [m - 1, n]], ['flat', [m * n]], ['3-d', [1, m, n]]] as [string, number[]][]) {
      const count = shape.reduce((a, d) => a * d, 1);
      put('tensor.shape', `${name} ${what}`, replace(i, { ...t, shape, values: rng.normals(count, 0.1) }), [name]);
    }
    put('tensor.missing', `${name} missing`, replace(i, null), [name]);
    for (const dtype of ['F16', 'BF16', 'F64', 'I32', 'I64', 'I8', 'U8', 'BOOL']) {
      const values = dtype.startsWith('F') || dtype === 'BF16' ? t.values : t.values.map((x) => Math.round(x * 20));
      put('tensor.dtype', `${name} as ${dtype}`, replace(i, { ...t, dtype, values }), [name]);
    }
    for (const bad of [NaN, Infinity, -Infinity]) {
      const values = t.values.slice();
      values[Math.floor(rng.uniform() * values.length)] = bad;
      put('tensor.nonfinite', `${name} holds ${bad}`, replace(i, { ...t, values }), [name]);
      put('tensor.nonfinite', `${name} holds ${bad} as F16`, replace(i, { ...t, dtype: 'F16', values }), [name]);
    }
    put('tensor.values', `${name} zeroed`, replace(i, { ...t, values: new Float32Array(t.values.length) }), [name]);
    put('tensor.values', `${name} F16 overflow (1e5)`, replace(i, { ...t, dtype: 'F16', values: t.values.map((x, k) => (k === 0 ? 1e5 : x)) }), [name]);
  }
  const t0 = s.tensors[0];
  const module = /^base_model\.model\.(.+)\.lora_[AB]\.weight$/.exec(t0.name)![1];
  const extras: [string, RawTensor][] = [
    ['a base weight', { name: `base_model.model.${module}.weight`, dtype: 'F32', shape: [4, 4], values: rng.normals(16, 0.1) }],
    ['a DoRA magnitude', { name: `base_model.model.${module}.lora_magnitude_vector`, dtype: 'F32', shape: [t0.shape[1]], values: rng.normals(t0.shape[1], 1) }],
    ['a LoRA bias', { name: `base_model.model.${module}.lora_B.bias`, dtype: 'F32', shape: [4], values: rng.normals(4, 0.1) }],
    ['an unrelated name', { name: 'extra', dtype: 'F32', shape: [2], values: rng.normals(2, 1) }],
    ['an empty tensor', { name: 'empty', dtype: 'F32', shape: [0], values: new Float32Array(0) }],
  ];
  for (const [what, t] of extras) put('tensor.extra', `extra tensor: ${what} (${t.name})`, [...s.tensors, t], [t.name]);
  put('tensor.order', 'tensors in reverse order', [...s.tensors].reverse(), []);
  put('tensor.missing', 'no tensors at all', [], ['adapter_model.safetensors']);
  put('tensor.metadata', 'no metadata', s.tensors, [], null);
  put('tensor.metadata', 'a number in the metadata', s.tensors, ['__metadata__'], { ...s.metadata, n: 1 });
  if (s.base === 'toy') {
    put('tensor.metadata', 'lora_lab_config of a wider base', s.tensors, ['width'], { ...s.metadata, lora_lab_config: `${s.metadata.lora_lab_config}&width=32` });
    put('tensor.metadata', 'lora_lab_config garbage (read as the default settings)', s.tensors, ['lora_lab_config', 'trained on a base model'], { ...s.metadata, lora_lab_config: '%%%&&&=' });
  }
  // bytes: cut short, and a header length that lies
  const bytes = modelBytes(s);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const cuts = [0, 4, 8, 9, 8 + n - 1, 8 + n, bytes.length - 1, ...[0, 1, 2].map(() => 9 + Math.floor(rng.uniform() * (bytes.length - 10)))];
  for (const at of cuts) g.add('bytes.truncated', `adapter_model.safetensors cut at byte ${at} of ${bytes.length}`, s, { config, model: bytes.slice(0, at) }, ['adapter_model.safetensors']);
  for (const delta of [-8, -1, 1, 8, 1e9]) {
    const b = bytes.slice();
    new DataView(b.buffer).setBigUint64(0, BigInt(n + delta), true);
    g.add('bytes.header-length', `header length ${n} + ${delta}`, s, { config, model: b }, ['adapter_model.safetensors']);
  }
  const nul = bytes.slice();
  nul.fill(0, 8 + n - 1, 8 + n);
  g.add('bytes.header', 'header padded with NUL', s, { config, model: nul }, ['adapter_model.safetensors']);
}

/** Every config and tensor mutation of the sources, with ids c00000, c00001, ... */
export function adapterMutations(srcs: readonly Source[], seed = 1): MutationCase[] {
  const out: MutationCase[] = [];
  const g: Gen = {
    add: (family, what, s, folder, mentions) => out.push({ id: `c${String(out.length).padStart(5, '0')}`, family, what: `${s.name}: ${what}`, base: s.base, folder, drop: folderDrop(folder), mentions }),
  };
  for (const s of srcs) {
    g.add('control', 'unchanged', s, { config: configBytes(s.config), model: modelBytes(s) }, []);
    configCases(s, g, Rng.stream(seed, `${s.name}-config`));
    tensorCases(s, g, Rng.stream(seed, s.name));
  }
  return out;
}
