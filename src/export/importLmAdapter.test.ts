import { describe, expect, it } from 'vitest';
import { MODULE_TYPES } from '../tasks/llamaModel';
import { buildLmBundle, lmBundleFiles, type LmBundleInput } from './lmBundle';
import { ImportError, importLmAdapter, importLmAdapterFiles } from './importLmAdapter';
import { lmScaling } from './lmPeftFormat';
import { pythonJson } from './peftFormat';
import { readSafetensors, writeSafetensors } from './safetensors';
import { lmRun, randomBase, SMALL } from '../test/lmRun';

const dec = new TextDecoder();
const weights = randomBase(SMALL, 7);
const qv = { types: ['q_proj', 'v_proj'] as const, layers: [1], mode: 'lora' as const };
const run = (patch: Partial<Parameters<typeof lmRun>[0]> = {}): LmBundleInput =>
  lmRun({ shape: SMALL, weights, targets: qv, r: 3, alpha: 6, cases: [[72]], prompt: 'Hi', count: 2, ...patch });

const x = run();
const files = lmBundleFiles(x);
const config = () => JSON.parse(dec.decode(files['adapter/adapter_config.json']));
const model = files['adapter/adapter_model.safetensors'];
const Q = 'base_model.model.model.layers.1.self_attn.q_proj';

/** A safetensors file of raw little-endian bytes in any dtype (the writer under test writes F32 only). */
function rawSafetensors(tensors: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length] };
    off += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let pos = 8 + json.length;
  for (const t of tensors) {
    out.set(t.bytes, pos);
    pos += t.bytes.length;
  }
  return out;
}

/** The adapter's tensors re-encoded: F16 / BF16 keep the top bits of values exact in both. */
function reencode(dtype: 'F16' | 'BF16' | 'I32', values: (k: string) => Float32Array): Uint8Array {
  const st = readSafetensors(model);
  return rawSafetensors([...st.tensors].map(([name, t]) => {
    const v = values(name);
    const bytes = new Uint8Array(v.length * (dtype === 'I32' ? 4 : 2));
    const view = new DataView(bytes.buffer);
    const f = new DataView(new ArrayBuffer(4));
    v.forEach((z, i) => {
      if (dtype === 'I32') return view.setInt32(4 * i, Math.round(z), true);
      if (dtype === 'BF16') {
        f.setFloat32(0, z);
        return view.setUint16(2 * i, f.getUint32(0) >>> 16, true);
      }
      // F16 of a multiple of 1/8 in (-4, 4): sign, exponent, 10 mantissa bits
      const s = z < 0 ? 0x8000 : 0;
      const a = Math.abs(z);
      if (a === 0) return view.setUint16(2 * i, s, true);
      const e = Math.floor(Math.log2(a));
      view.setUint16(2 * i, s | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024), true);
    });
    return { name, dtype, shape: t.shape, bytes };
  }));
}

const imp = (cfg: unknown, st: Uint8Array = model) => importLmAdapter({ config: typeof cfg === 'string' ? cfg : pythonJson(cfg), model: st }, SMALL);

describe('importing a language-model PEFT adapter', () => {
  it('round-trips an export: targets, r, alpha, scaling and the factors exactly', () => {
    for (const targets of [qv, { types: MODULE_TYPES, layers: [0, 1], mode: 'lora' as const }]) {
      const y = run({ targets, r: 2 });
      const f = lmBundleFiles(y);
      const got = importLmAdapter({ config: dec.decode(f['adapter/adapter_config.json']), model: f['adapter/adapter_model.safetensors'] }, SMALL);
      expect(got.targets).toEqual({ types: [...targets.types], layers: targets.layers, mode: 'lora' });
      expect([got.r, got.alpha, got.rslora, got.lora_dropout]).toEqual([2, 6, false, 0]);
      expect(Object.keys(got.adapters).sort()).toEqual(Object.keys(y.adapters).sort());
      for (const [k, v] of Object.entries(y.adapters)) expect(got.adapters[k], k).toEqual(v);
    }
  });

  it('rsLoRA round-trips as it was written: as rsLoRA, or as plain LoRA with the same scaling', () => {
    for (const asPlainLora of [false, true]) {
      const y = run({ r: 4, alpha: 6, rslora: true, asPlainLora });
      const f = lmBundleFiles(y);
      const got = importLmAdapter({ config: dec.decode(f['adapter/adapter_config.json']), model: f['adapter/adapter_model.safetensors'] }, SMALL);
      expect([got.rslora, got.alpha]).toEqual(asPlainLora ? [false, 12] : [true, 6]);
      expect(lmScaling(got)).toBeCloseTo(6 / 2, 12);
    }
  });

  it('reads the exported zip, and the folder as two dropped files', () => {
    const a = importLmAdapterFiles([{ name: 'run.zip', bytes: buildLmBundle(x) }], SMALL);
    expect(a.adapters).toEqual(x.adapters);
    const b = importLmAdapterFiles([{ name: 'adapter_config.json', bytes: files['adapter/adapter_config.json'] }, { name: 'adapter_model.safetensors', bytes: model }], SMALL);
    expect(b.targets).toEqual(a.targets);
  });

  it('converts F16 and BF16 factors to f32', () => {
    const eighths = (k: string) => readSafetensors(model).tensors.get(k)!.data!.map((v) => Math.max(-31, Math.min(31, Math.round(v * 8))) / 8 + 0); // + 0: no -0
    for (const dtype of ['F16', 'BF16'] as const) {
      const got = imp(config(), reencode(dtype, eighths));
      expect(got.adapters['model.layers.1.self_attn.q_proj'].A, dtype).toEqual(eighths(`${Q}.lora_A.weight`));
    }
  });

  it('layers_to_transform as PEFT reads it: one index, with or without layers_pattern', () => {
    expect(imp({ ...config(), layers_to_transform: 1, layers_pattern: null }).targets.layers).toEqual([1]);
    // module names instead of types, as PEFT also matches them
    expect(imp({ ...config(), target_modules: ['self_attn.q_proj', 'self_attn.v_proj'] }).targets.types).toEqual(['q_proj', 'v_proj']);
  });

  it('refuses adapters that do not fit the base, with a message naming the problem', () => {
    const st = readSafetensors(model);
    const tensors = [...st.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data! }));
    const without = (key: string) => writeSafetensors(tensors.filter((t) => t.name !== key));
    const plus = (name: string, shape: number[]) => writeSafetensors([...tensors, { name, shape, data: new Float32Array(shape[0] * shape[1]) }]);
    const replaced = (name: string, shape: number[]) => writeSafetensors(tensors.map((t) => (t.name === name ? { name, shape, data: new Float32Array(shape[0] * shape[1]) } : t)));
    const cases: [string, unknown, Uint8Array, string][] = [
      ['bad JSON', '{"peft_type": "LORA",', model, 'adapter/adapter_config.json: not valid JSON'],
      ['not LoRA', { ...config(), peft_type: 'IA3' }, model, 'peft_type is "IA3"; only LoRA adapters ("LORA") can be imported'],
      ['another task', { ...config(), task_type: 'SEQ_CLS' }, model, 'task_type is "SEQ_CLS"; the language model takes adapters for "CAUSAL_LM"'],
      ['unknown module type', { ...config(), target_modules: ['q_proj', 'w_proj'] }, model, 'target_modules names "w_proj", which is no module of the base model (its projections are q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)'],
      ['lm_head', { ...config(), target_modules: ['q_proj', 'lm_head'], layers_to_transform: null, layers_pattern: null }, model, 'target_modules selects lm_head, which LoRA Lab keeps frozen'],
      ['layer out of range', { ...config(), layers_to_transform: [1, 2] }, model, 'layers_to_transform names layer 2, but the base model has layers 0..1'],
      ['not types x layers', { ...config(), target_modules: ['model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.v_proj'], layers_to_transform: null, layers_pattern: null }, model, 'not every one of its module types (q_proj, v_proj) on every one of its layers (0, 1)'],
      ['DoRA', { ...config(), use_dora: true }, model, 'use_dora is true: DoRA adapters are not supported'],
      ['wrong r', { ...config(), r: 4 }, model, `tensor ${Q}.lora_A.weight has shape [3,16], but with r = 4 (adapter_config.json) lora_A of model.layers.1.self_attn.q_proj (16 -> 16) must be [4,16]`],
      ['wrong shape', config(), replaced(`${Q}.lora_B.weight`, [8, 3]), `tensor ${Q}.lora_B.weight has shape [8,3], but with r = 3 (adapter_config.json) lora_B of model.layers.1.self_attn.q_proj (16 -> 16) must be [16,3]`],
      ['unknown module key', config(), plus('base_model.model.model.layers.1.self_attn.w_proj.lora_A.weight', [3, 16]), 'adapts model.layers.1.self_attn.w_proj, but the base model has no module model.layers.1.self_attn.w_proj'],
      ['a module the config does not select', config(), plus('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', [3, 16]), 'adapts model.layers.0.self_attn.q_proj, which adapter_config.json does not select (target_modules ["q_proj","v_proj"], layers_to_transform [1])'],
      ['a stray key', config(), plus('base_model.model.model.layers.1.self_attn.q_proj.lora_magnitude_vector', [1, 16]), 'unexpected tensor base_model.model.model.layers.1.self_attn.q_proj.lora_magnitude_vector'],
      ['missing factor', config(), without(`${Q}.lora_B.weight`), `tensor ${Q}.lora_B.weight is missing (adapter_config.json selects model.layers.1.self_attn.q_proj, so it needs both factors)`],
      ['unsupported dtype', config(), reencode('I32', (k) => st.tensors.get(k)!.data!), `tensor ${Q}.lora_A.weight has dtype I32; LoRA factors must be floats (F32, F16, BF16 or F64)`],
      ['not safetensors', config(), new Uint8Array(4), 'adapter/adapter_model.safetensors: only 4 bytes'],
    ];
    for (const [what, cfg, st, msg] of cases) {
      expect(() => imp(cfg, st), what).toThrow(ImportError);
      expect(() => imp(cfg, st), what).toThrow(msg);
    }
  });
});
