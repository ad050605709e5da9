import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { llamaForward, llamaTensorShapes } from '../ref/llama';
import { llamaShapeFromConfig } from '../tasks/llamaConfig';
import { MODULE_TYPES } from '../tasks/llamaModel';
import { buildLmBundle, lmBundleFiles, lmMergedFiles, type LmBundleInput } from './lmBundle';
import { validateConfig } from '../config/schema';
import { exportedAlpha, lmScaling } from './lmPeftFormat';
import { f32Text } from './lmTestCases';
import { readSafetensors } from './safetensors';
import { assertClose } from '../test/compare';
import { lmRun, randomBase, SMALL } from '../test/lmRun';

const dec = new TextDecoder();
const json = (b: Uint8Array) => JSON.parse(dec.decode(b));
const goldenConfig = JSON.parse(readFileSync(new URL('../../fixtures/golden/peft_adapter/adapter_config.json', import.meta.url), 'utf8'));

const weights = randomBase(SMALL, 7);
const qv = { types: ['q_proj', 'v_proj'] as const, layers: [1], mode: 'lora' as const };
const every = { types: MODULE_TYPES, layers: [0, 1], mode: 'lora' as const };
const run = (patch: Partial<Parameters<typeof lmRun>[0]> = {}): LmBundleInput =>
  lmRun({ shape: SMALL, weights, targets: qv, r: 3, alpha: 6, cases: [[72, 105, 33], [65]], prompt: 'Hi', count: 10, ...patch });

describe('language-model export bundle', () => {
  const x = run();
  const files = lmBundleFiles(x);

  it('holds exactly the listed files; the base byte for byte', () => {
    expect(Object.keys(files).sort()).toEqual([
      'README.md', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'base/config.json', 'base/generation_config.json',
      'base/model.safetensors', 'load_adapter.py', 'test_cases.json',
    ]);
    expect(files['base/model.safetensors']).toBe(x.base.safetensors);
    expect(dec.decode(files['base/config.json'])).toBe(x.base.config);
    expect(dec.decode(files['base/generation_config.json'])).toBe(x.base.generationConfig);
    const more = lmBundleFiles({ ...x, metricsCsv: 'step,loss\n1,2\n' }, { merged: true });
    expect(Object.keys(more).filter((f) => !(f in files)).sort()).toEqual(['merged/config.json', 'merged/generation_config.json', 'merged/model.safetensors', 'metrics.csv']);
  });

  it('adapter_config.json: PEFT LoraConfig fields for a causal LM, layers_to_transform only when some layers are skipped', () => {
    const text = dec.decode(files['adapter/adapter_config.json']);
    const c = JSON.parse(text);
    expect(c).toMatchObject({
      peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: 'base', r: 3, lora_alpha: 6, use_rslora: false,
      target_modules: ['q_proj', 'v_proj'], layers_to_transform: [1], layers_pattern: 'layers', lora_dropout: 0, bias: 'none',
      init_lora_weights: true, fan_in_fan_out: false, use_dora: false, rank_pattern: {}, alpha_pattern: {},
    });
    expect(text).toContain('\n  "lora_dropout": 0.0,\n');
    for (const k of Object.keys(c)) expect(k in goldenConfig, `${k} is a LoraConfig field`).toBe(true);
    const all = json(lmBundleFiles(run({ targets: every }))['adapter/adapter_config.json']);
    expect(all).toMatchObject({ target_modules: [...MODULE_TYPES], layers_to_transform: null, layers_pattern: null });
  });

  it('adapter_model.safetensors: PEFT key names, (r, dIn) and (dOut, r), the factors as given', () => {
    const f = readSafetensors(files['adapter/adapter_model.safetensors'], 'adapter_model.safetensors');
    const p = 'base_model.model.model.layers.1.self_attn';
    expect([...f.tensors.keys()]).toEqual([`${p}.q_proj.lora_A.weight`, `${p}.q_proj.lora_B.weight`, `${p}.v_proj.lora_A.weight`, `${p}.v_proj.lora_B.weight`]);
    expect(f.tensors.get(`${p}.q_proj.lora_A.weight`)!.shape).toEqual([3, 16]);
    expect(f.tensors.get(`${p}.v_proj.lora_B.weight`)!.shape).toEqual([8, 3]); // 2 kv heads of 4
    expect(f.tensors.get(`${p}.v_proj.lora_B.weight`)!.data).toEqual(x.adapters['model.layers.1.self_attn.v_proj'].B);
    expect(f.metadata!.format).toBe('pt');
    expect(JSON.parse(f.metadata!.lora_lab_trained)).toEqual({ r: 3, lora_alpha: 6, use_rslora: false });
  });

  it('rsLoRA as plain LoRA: lora_alpha * sqrt(r), use_rslora false, the same scaling', () => {
    for (const r of [1, 3, 4, 16]) {
      const t = { r, alpha: 8, rslora: true };
      const plain = exportedAlpha(t, true);
      expect(plain.use_rslora).toBe(false);
      expect(plain.lora_alpha).toBeCloseTo(8 * Math.sqrt(r), 12);
      expect(lmScaling({ r, alpha: plain.lora_alpha, rslora: false })).toBeCloseTo(lmScaling(t), 12);
      expect(exportedAlpha(t, false)).toEqual({ lora_alpha: 8, use_rslora: true });
      expect(exportedAlpha({ ...t, rslora: false }, true)).toEqual({ lora_alpha: 8, use_rslora: false });
    }
    const c = json(lmBundleFiles(run({ r: 4, alpha: 6, rslora: true, asPlainLora: true }))['adapter/adapter_config.json']);
    expect([c.lora_alpha, c.use_rslora, c.r]).toEqual([12, false, 4]);
  });

  it('merged model: W + s B A on the adapted projections, the base elsewhere; its forward gives the cases', () => {
    for (const rslora of [false, true]) {
      const y = run({ targets: every, rslora, r: 2 });
      const m = lmMergedFiles(y, weights);
      expect(Object.keys(m).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors']);
      const st = readSafetensors(m['model.safetensors'], 'merged');
      expect([...st.tensors.keys()]).toEqual(llamaTensorShapes(SMALL).map(([n]) => n).sort());
      const s = lmScaling(y);
      const name = 'model.layers.0.mlp.down_proj';
      const { A, B } = y.adapters[name];
      const W = st.tensors.get(`${name}.weight`)!.data!;
      const [dOut, dIn, r] = [16, 24, 2];
      for (const [o, j] of [[0, 0], [5, 17], [15, 23]]) {
        const want = weights[`${name}.weight`][o * dIn + j] + s * (B[o * r] * A[j] + B[o * r + 1] * A[dIn + j]);
        expect(W[o * dIn + j]).toBeCloseTo(want, 6);
      }
      expect(W.length).toBe(dOut * dIn);
      expect(st.tensors.get('model.norm.weight')!.data).toEqual(weights['model.norm.weight']);
      const merged = Object.fromEntries([...st.tensors].map(([k, t]) => [k, t.data!]));
      for (const c of y.cases) assertClose(llamaForward(SMALL, merged, c.tokens), c.logits, { atol: 1e-6, rtol: 1e-6 }, 'merged forward');
    }
  });

  it("merged model of the shipped base keeps its dtype, order and metadata: zero adapters give the shipped file's bytes", () => {
    const dir = new URL('../../public/models/tiny-llama-kjv/', import.meta.url);
    const bytes = new Uint8Array(readFileSync(new URL('model.safetensors', dir)));
    const shape = llamaShapeFromConfig(JSON.parse(readFileSync(new URL('config.json', dir), 'utf8')));
    const base = Object.fromEntries([...readSafetensors(bytes).tensors].map(([k, t]) => [k, t.data!]));
    const y: LmBundleInput = {
      ...run(),
      shape,
      base: { config: readFileSync(new URL('config.json', dir), 'utf8'), generationConfig: readFileSync(new URL('generation_config.json', dir), 'utf8'), safetensors: bytes },
      adapters: { 'model.layers.1.self_attn.q_proj': { A: new Float32Array(3 * 128).fill(0.5), B: new Float32Array(128 * 3) }, 'model.layers.1.self_attn.v_proj': { A: new Float32Array(3 * 128), B: new Float32Array(128 * 3) } },
      cases: [{ tokens: [65], logits: new Float32Array(256) }],
    };
    // Buffer.equals: vitest's deep equality takes seconds on 1.8 MB.
    const same = (a: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(bytes);
    expect(same(lmMergedFiles(y, base)['model.safetensors'])).toBe(true);
    expect(same(lmBundleFiles(y, { merged: true })['merged/model.safetensors'])).toBe(true);
  });

  it('test_cases.json: the cases as float32-exact decimals, the generation with its prompt bytes', () => {
    const c = json(files['test_cases.json']);
    expect(c.format).toBe('lora-lab-lm-cases/1');
    expect(c.tolerance).toEqual({ atol: 1e-4, rtol: 1e-3 });
    expect(c.cases.map((k: { tokens: number[] }) => k.tokens)).toEqual([[72, 105, 33], [65]]);
    expect(Float32Array.from(c.cases[0].logits.flat())).toEqual(x.cases[0].logits);
    expect(c.cases[0].logits.length).toBe(3);
    expect(c.generation).toMatchObject({ prompt: 'Hi', prompt_tokens: [72, 105], tokens: x.generation.tokens, greedy: true });
    for (const v of [0, -0.1, 1 / 3, 1e-30, 123456.789, -3.4e38]) expect(Math.fround(f32Text(Math.fround(v)))).toBe(Math.fround(v));
    expect(String(f32Text(Math.fround(0.1)))).toBe('0.1');
  });

  it('README and load_adapter.py: what is inside, how to load it, the settings', () => {
    const readme = dec.decode(files['README.md']);
    for (const s of ['`q_proj`, `v_proj` on layer 1', 'PeftModel.from_pretrained(base, "adapter")', 'AutoModelForCausalLM.from_pretrained("base"', '| `lr` | 0.001 |', 's = 2', 'python load_adapter.py --check'])
      expect(readme, s).toContain(s);
    const rs = dec.decode(lmBundleFiles(run({ r: 4, rslora: true, asPlainLora: true }))['README.md']);
    expect(rs).toContain('written as plain LoRA: `lora_alpha` = 6 * sqrt(4) = 12');
    const py = dec.decode(files['load_adapter.py']);
    expect(py).toContain('AutoModelForCausalLM.from_pretrained(');
    expect(py).toContain('PeftModel.from_pretrained(');
    expect(py).toContain('text.encode("utf-8")');
  });

  it('train_with_peft.py and what it reads: the language model\'s script, its modules, the run config and both texts', () => {
    const config = validateConfig({ task: 'lm', lmData: 'user', r: 3, lora_alpha: 6, lmTargets: [7, 9] }).config;
    const fineTune = new TextEncoder().encode('To be, or not to be: that is the question.\n'.repeat(30));
    const pretrainHeldOut = new TextEncoder().encode('And God said, Let there be light.\n'.repeat(20));
    const t = lmBundleFiles({ ...x, training: { config, fineTune, pretrainHeldOut } });
    const added = Object.keys(t).filter((f) => !(f in files)).sort();
    console.log(`language-model bundle with training: ${added.length} more files (${added.join(', ')})`);
    expect(added).toEqual(['data/finetune.txt', 'data/pretrain_heldout.txt', 'lm_task.py', 'run_config.json', 'toy_task.py', 'train_common.py', 'train_with_peft.py']);
    expect(t['data/finetune.txt']).toBe(fineTune);
    expect(t['data/pretrain_heldout.txt']).toBe(pretrainHeldOut);
    expect(json(t['run_config.json'])).toEqual(JSON.parse(JSON.stringify(config)));
    const script = dec.decode(t['train_with_peft.py']);
    // the language model's script (not the toy's), importing the modules that sit beside it
    for (const s of ['AutoModelForCausalLM.from_pretrained(', 'from lm_task import', 'from train_common import', 'attn_implementation="eager"', 'warning: lora_dropout'])
      expect(script, s).toContain(s);
    expect(dec.decode(t['lm_task.py'])).toContain('from toy_task import Rng, init_lora');
    const readme = dec.decode(t['README.md']);
    for (const s of ['## Train it again in PyTorch + PEFT', 'python train_with_peft.py --out train_out', 'your own text', "PEFT's own random masks", '`data/`'])
      expect(readme, s).toContain(s);
    expect(dec.decode(files['README.md'])).not.toContain('Train it again');
    expect(() => lmBundleFiles({ ...x, training: { config: { ...config, task: 'toy' }, fineTune, pretrainHeldOut } })).toThrow(/needs a language-model run config/);
  });

  it('the zip holds the same files and is the same bytes for the same run', () => {
    const zip = buildLmBundle(x);
    const un = unzipSync(zip);
    expect(Object.keys(un).sort()).toEqual(Object.keys(files).sort());
    for (const [k, v] of Object.entries(files)) expect(un[k], k).toEqual(v);
    expect(buildLmBundle(x)).toEqual(zip);
  });

  it('refuses inputs that would make a wrong bundle, naming the problem', () => {
    const bad: [string, Partial<LmBundleInput>, RegExp][] = [
      ['a factor of the wrong size', { adapters: { ...x.adapters, 'model.layers.1.self_attn.q_proj': { A: new Float32Array(5), B: x.adapters['model.layers.1.self_attn.q_proj'].B } } }, /q_proj lora_A has 5 values, expected r x dIn = 3 x 16/],
      ['a module the targets do not adapt', { adapters: { ...x.adapters, 'model.layers.0.self_attn.q_proj': x.adapters['model.layers.1.self_attn.q_proj'] } }, /factors for model.layers.0.self_attn.q_proj, which its targets do not adapt/],
      ['a missing module', { adapters: { 'model.layers.1.self_attn.q_proj': x.adapters['model.layers.1.self_attn.q_proj'] } }, /no LoRA factors for model.layers.1.self_attn.v_proj/],
      ['full fine-tuning', { targets: { ...qv, mode: 'full' } }, /PEFT adapters are LoRA only/],
      ['another base', { shape: { ...SMALL, hidden: 32 } }, /base\/config.json differs from the run's model in hidden \(16 vs 32\)/],
      ['logits of the wrong size', { cases: [{ tokens: [1, 2], logits: new Float32Array(256) }] }, /case 0 has 256 logits, expected tokens x vocab = 2 x 256/],
      ['a continuation past the context', { generation: { prompt: 'Hi', tokens: new Array(23).fill(65) } }, /exceed the model's context of 24/],
    ];
    for (const [what, patch, msg] of bad) expect(() => lmBundleFiles({ ...x, ...patch }), what).toThrow(msg);
  });
});
