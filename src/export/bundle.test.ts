import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { bundleFiles, bundleName, mergedFile, zipFiles } from './bundle';
import { readSafetensors } from './safetensors';
import { mlpForwardCpu } from './cpuForward';
import { mlpSizes, pythonJson } from './peftFormat';
import { fakeRun, forwardLayers, smallConfig } from '../test/exportRun';
import { assertClose } from '../test/compare';

const dec = new TextDecoder();
const goldenConfig = JSON.parse(readFileSync(new URL('../../fixtures/golden/peft_adapter/adapter_config.json', import.meta.url), 'utf8'));

describe('export bundle (LoRA run)', () => {
  const run = fakeRun();
  const files = bundleFiles(run);
  const cfg = run.config;

  it('holds exactly the listed files', () => {
    expect(Object.keys(files).sort()).toEqual(
      ['README.md', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'base_model.safetensors', 'load_with_peft.py', 'run_config.json', 'test_cases.json', 'toy_task.py', 'train_common.py', 'train_with_peft.py'].sort(),
    );
  });

  it('adapter_model.safetensors: PEFT keys and shapes, format pt and string metadata', () => {
    const f = readSafetensors(files['adapter/adapter_model.safetensors'], 'adapter_model.safetensors');
    expect([...f.tensors.keys()]).toEqual([
      'base_model.model.layers.1.lora_A.weight',
      'base_model.model.layers.1.lora_B.weight',
      'base_model.model.layers.2.lora_A.weight',
      'base_model.model.layers.2.lora_B.weight',
    ]);
    expect(f.tensors.get('base_model.model.layers.1.lora_A.weight')!.shape).toEqual([3, 16]);
    expect(f.tensors.get('base_model.model.layers.2.lora_B.weight')!.shape).toEqual([16, 3]);
    expect(f.tensors.get('base_model.model.layers.2.lora_B.weight')!.data).toEqual(run.tensors.B2);
    expect(f.metadata).toEqual({ format: 'pt', lora_lab_version: '0.0.0-test', lora_lab_init: 'initA', lora_lab_seed: '1', lora_lab_config: 'width=16&dIn=5&dOut=4&evalSize=16&r=3&lora_alpha=6&steps=10' });
  });

  it('adapter_config.json: what PEFT saves (sorted keys, 2-space indent, same types as the golden PEFT file)', () => {
    const textCfg = dec.decode(files['adapter/adapter_config.json']);
    const c = JSON.parse(textCfg);
    expect(textCfg).toBe(pythonJson(c).replace('"lora_dropout": 0,', '"lora_dropout": 0.0,'));
    expect(Object.keys(c)).toEqual(Object.keys(c).sort());
    expect(c).toMatchObject({ peft_type: 'LORA', r: 3, lora_alpha: 6, use_rslora: false, target_modules: ['layers.1', 'layers.2'], bias: 'none', rank_pattern: {}, alpha_pattern: {} });
    for (const k of Object.keys(c)) {
      expect(k in goldenConfig, `${k} is a LoraConfig field`).toBe(true);
      const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
      if (goldenConfig[k] !== null && k !== 'init_lora_weights') expect(kind(c[k]), k).toBe(kind(goldenConfig[k]));
    }
    expect(textCfg).toContain('\n  "lora_dropout": 0.0,\n');
    expect(textCfg).toContain('"target_modules": [\n    "layers.1",\n    "layers.2"\n  ],');
  });

  it('base_model.safetensors: nn.Linear names and (out, in) shapes', () => {
    const f = readSafetensors(files['base_model.safetensors'], 'base_model.safetensors');
    expect([...f.tensors.entries()].map(([k, t]) => [k, t.shape])).toEqual([
      ['head.weight', [4, 16]],
      ['layers.0.weight', [16, 5]],
      ['layers.1.weight', [16, 16]],
      ['layers.2.weight', [16, 16]],
    ]);
    expect(f.tensors.get('layers.0.weight')!.data).toEqual(run.base.Win);
  });

  it('test_cases.json: the format, >= 16 finite rows, and outputs the files reproduce on the CPU', () => {
    const t = JSON.parse(dec.decode(files['test_cases.json']));
    expect(t.format).toBe('lora-interop-cases/1');
    expect(t.model).toEqual({ arch: 'mlp', sizes: [5, 16, 16, 16, 4], activation: 'gelu_tanh', bias: false });
    expect(t.tolerance).toEqual({ atol: 1e-4, rtol: 1e-3 });
    expect(t.inputs.length).toBeGreaterThanOrEqual(16);
    for (const m of [t.inputs, t.base_outputs, t.adapted_outputs]) expect(m.flat().every(Number.isFinite)).toBe(true);
    // Rebuild from the files alone (as load_with_peft.py does) and compare with the recorded outputs.
    const base = readSafetensors(files['base_model.safetensors']).tensors;
    const ad = readSafetensors(files['adapter/adapter_model.safetensors']).tensors;
    const s = 6 / 3;
    const layers = ['layers.0', 'layers.1', 'layers.2', 'head'].map((m) => {
      const A = ad.get(`base_model.model.${m}.lora_A.weight`);
      return { W: base.get(`${m}.weight`)!.data!, lora: A ? { A: A.data!, B: ad.get(`base_model.model.${m}.lora_B.weight`)!.data!, r: 3, s } : undefined };
    });
    const got = mlpForwardCpu(layers, t.model.sizes, 'gelu_tanh', t.inputs.flat(), t.inputs.length);
    assertClose(got, t.adapted_outputs.flat(), { atol: 1e-6, rtol: 1e-6 }, 'adapted');
  });

  it('merged weights W0 + s B A give the adapted outputs', () => {
    const f = readSafetensors(mergedFile(cfg, run.base, run.tensors, 'v'));
    const layers = ['layers.0', 'layers.1', 'layers.2', 'head'].map((m) => ({ W: f.tensors.get(`${m}.weight`)!.data! }));
    const got = mlpForwardCpu(layers, mlpSizes(cfg), cfg.activation, run.cases.inputs, run.cases.rows);
    assertClose(got, run.cases.adapted, { atol: 1e-5, rtol: 1e-5 }, 'merged');
  });

  it('README states the settings and losses; the zip round-trips; the name is filesystem-safe', () => {
    const readme = dec.decode(files['README.md']);
    expect(readme).toContain('| `r` | 3 |');
    expect(readme).toContain('final training loss');
    expect(readme).toContain('0.25');
    expect(readme).toContain('PeftModel.from_pretrained');
    const zip = zipFiles(files, run.created);
    const back = unzipSync(zip);
    expect(Object.keys(back).sort()).toEqual(Object.keys(files).sort());
    expect(back['adapter/adapter_model.safetensors']).toEqual(files['adapter/adapter_model.safetensors']);
    expect(zipFiles(files, run.created)).toEqual(zip); // deterministic
    expect(bundleName(cfg)).toBe('lora-lab_r3-alpha6-lr2pow-7-initA-seed1');
    expect(bundleName({ ...cfg, lr: 0.001, scaling: 'rslora' })).toBe('lora-lab_r3-alpha6-lr1.0e-3-initA-rslora-seed1');
  });

  it('refuses to export outputs that are not finite (a diverged run), naming the value', () => {
    const bad = fakeRun();
    bad.cases.adapted[5] = NaN;
    expect(() => bundleFiles(bad)).toThrow(/adapted_outputs\[1\]\[1\] is NaN/);
  });
});

describe('export bundle (full fine-tuning run)', () => {
  it('exports the fine-tuned weights instead of an adapter, and they reproduce the outputs', () => {
    const run = fakeRun(smallConfig({ mode: 'fft', targets: [2] }));
    const files = bundleFiles(run);
    expect(Object.keys(files).sort()).toEqual(['README.md', 'base_model.safetensors', 'finetuned_model.safetensors', 'load_with_peft.py', 'run_config.json', 'test_cases.json', 'toy_task.py', 'train_common.py', 'train_with_peft.py']);
    const f = readSafetensors(files['finetuned_model.safetensors']);
    expect(f.tensors.get('layers.2.weight')!.data).toEqual(run.tensors.W2);
    expect(f.tensors.get('layers.1.weight')!.data).toEqual(run.base.Ws[0]);
    const got = mlpForwardCpu(forwardLayers(run.config, run.base, run.tensors), mlpSizes(run.config), 'gelu_tanh', run.cases.inputs, run.cases.rows);
    assertClose(got, run.cases.adapted, { atol: 1e-6, rtol: 1e-6 });
    expect(dec.decode(files['README.md'])).toContain('PEFT adapters are LoRA-only');
  });
});
