import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { zipSync } from 'fflate';
import { importAdapter, ImportError, type NamedFile } from './importAdapter';
import { bundleFiles, zipFiles } from './bundle';
import { pythonJson, adapterConfig } from './peftFormat';
import { writeSafetensors } from './safetensors';
import { fakeRun, smallConfig } from '../test/exportRun';
import type { RunConfig } from '../config/schema';

const run = fakeRun(smallConfig({ seed: 7, r: 2, lora_alpha: 3, scaling: 'rslora', targets: [2] }));
const files = bundleFiles(run);
const zip: NamedFile = { name: 'run.zip', bytes: zipFiles(files, run.created) };
const cfgFile: NamedFile = { name: 'adapter_config.json', bytes: files['adapter/adapter_config.json'] };
const modelFile: NamedFile = { name: 'adapter_model.safetensors', bytes: files['adapter/adapter_model.safetensors'] };
/** The same page, before the import: default adapter settings, another seed. */
const page: RunConfig = smallConfig();
const enc = (s: string) => new TextEncoder().encode(s);
const withConfig = (patch: Record<string, unknown>): NamedFile => ({ name: 'adapter_config.json', bytes: enc(pythonJson({ ...adapterConfig(run.config), ...patch })) });

function rejects(fs: NamedFile[], msg: RegExp, cfg: RunConfig = page): void {
  expect(() => importAdapter(fs, cfg)).toThrow(ImportError);
  expect(() => importAdapter(fs, cfg)).toThrow(msg);
}

describe('importAdapter: valid adapters', () => {
  it('a LoRA Lab zip restores the run: adapter settings, task settings from the metadata, factors', () => {
    const got = importAdapter([zip], page);
    expect(got.config).toEqual(run.config);
    expect(got.tensors).toEqual({ A2: run.tensors.A2, B2: run.tensors.B2 });
    expect(got.changed.sort()).toEqual(['lora_alpha', 'r', 'scaling', 'seed', 'targets'].sort());
    expect(got.source).toBe('run.zip');
  });

  it("the adapter folder's two files, in either order", () => {
    expect(importAdapter([modelFile, cfgFile], page).config).toEqual(run.config);
  });

  it('a foreign adapter (no LoRA Lab metadata, F32) keeps the page task settings', () => {
    const plain = writeSafetensors(
      [
        { name: 'base_model.model.layers.1.lora_A.weight', shape: [2, 16], data: new Float32Array(32).fill(0.5) },
        { name: 'base_model.model.layers.1.lora_B.weight', shape: [16, 2], data: new Float32Array(32).fill(-1) },
      ],
      { format: 'pt' },
    );
    const got = importAdapter([withConfig({ target_modules: ['layers.1'], use_rslora: false }), { name: 'adapter_model.safetensors', bytes: plain }], page);
    expect(got.config).toEqual({ ...page, r: 2, lora_alpha: 3, targets: [1] });
    expect(got.tensors.A1).toEqual(new Float32Array(32).fill(0.5));
  });
});

describe('importAdapter: every failure is one message naming the file', () => {
  it('the golden malformed safetensors files', () => {
    const dir = new URL('../../fixtures/golden/safetensors/', import.meta.url);
    for (const f of readdirSync(dir).filter((x) => x.startsWith('bad_'))) {
      rejects([cfgFile, { name: f, bytes: new Uint8Array(readFileSync(new URL(f, dir))) }], new RegExp(`^${f.replace('.', '\\.')}: `));
    }
  });

  it('the PEFT-saved golden adapter: its modules are not adaptable here', () => {
    const dir = new URL('../../fixtures/golden/peft_adapter/', import.meta.url);
    const fs = ['adapter_config.json', 'adapter_model.safetensors'].map((name) => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, dir))) }));
    rejects(fs, /^adapter_model\.safetensors: tensor base_model\.model\.head\.lora_A\.weight adapts head, but only layers\.1\.\.layers\.2 can be adapted \(head is frozen in LoRA Lab\)$/);
  });

  it('an export from another base model says which settings to change', () => {
    rejects([zip], /^run\.zip\/adapter\/adapter_model\.safetensors: trained on a base model with width=16, but the page's base model has width=32; set width=16 first$/, { ...page, width: 32 });
  });

  it('shapes that disagree with r or the width, a missing factor, non-finite values', () => {
    const t = (name: string, shape: number[], fill = 0.1) => ({ name: `base_model.model.${name}.weight`, shape, data: new Float32Array(shape[0] * shape[1]).fill(fill) });
    const model = (...ts: ReturnType<typeof t>[]) => ({ name: 'adapter_model.safetensors', bytes: writeSafetensors(ts) });
    const c = withConfig({ target_modules: ['layers.1'] });
    rejects([c, model(t('layers.1.lora_A', [3, 16]), t('layers.1.lora_B', [16, 3]))], /lora_A\.weight has shape \[3,16\], but with r = 2 .* width n = 16 lora_A of layers\.1 must be \[2,16\]/);
    rejects([c, model(t('layers.1.lora_A', [2, 8]), t('layers.1.lora_B', [8, 2]))], /must be \[2,16\]/);
    rejects([c, model(t('layers.1.lora_A', [2, 16]))], /tensor base_model\.model\.layers\.1\.lora_B\.weight is missing/);
    rejects([c, model(t('layers.1.lora_A', [2, 16]), t('layers.1.lora_B', [16, 2], NaN))], /lora_B\.weight: value NaN at flat index 0 is not finite/);
    rejects([c, model(t('layers.3.lora_A', [2, 16]), t('layers.3.lora_B', [16, 2]))], /adapts layers\.3, but only layers\.1\.\.layers\.2 can be adapted \(the page's base model has 2 hidden layers\)/);
    rejects([c, model(t('layers.1.lora_magnitude_vector', [1, 16]))], /unexpected tensor base_model\.model\.layers\.1\.lora_magnitude_vector\.weight/);
    rejects([withConfig({ target_modules: ['layers.2'] }), model(t('layers.1.lora_A', [2, 16]), t('layers.1.lora_B', [16, 2]))], /^adapter_config\.json: target_modules \["layers\.2"\] does not name layers\.1/);
    rejects([withConfig({ target_modules: ['layers.1', 'layers.2'] }), model(t('layers.1.lora_A', [2, 16]), t('layers.1.lora_B', [16, 2]))], /target_modules names layers\.2, but adapter_model\.safetensors has no factors for it/);
  });

  it('configs PEFT would not load, or LoRA Lab cannot train', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ peft_type: 'IA3' }, /peft_type is "IA3"; only LoRA adapters/],
      [{ r: 2.5 }, /r must be a positive integer \(got 2\.5\)/],
      [{ lora_alpha: -1 }, /lora_alpha must be a positive number/],
      [{ use_dora: true }, /DoRA adapters are not supported/],
      [{ rank_pattern: { 'layers.2': 4 } }, /per-layer ranks/],
      [{ bias: 'bogus' }, /bias is "bogus"/],
      [{ target_modules: [] }, /target_modules must be a non-empty list/],
      [{ target_modules: '(' }, /not a valid regular expression/],
      [{ lora_alpha: 5000 }, /do not fit LoRA Lab: lora_alpha must be a number in 0\.01\.\.2\^12 \(got 5000\)/],
    ];
    for (const [patch, msg] of cases) rejects([withConfig(patch), modelFile], new RegExp(`^adapter_config\\.json: .*${msg.source}`));
    rejects([{ name: 'adapter_config.json', bytes: enc('{"r": 4,') }, modelFile], /^adapter_config\.json: not valid JSON/);
    // A regex target_modules that matches the adapted layer is fine (PEFT full-matches it).
    expect(importAdapter([withConfig({ target_modules: 'layers\\.[0-9]+' }), modelFile], page).config.targets).toEqual([2]);
  });

  it('the wrong files', () => {
    rejects([modelFile], /^adapter_model\.safetensors: adapter_config\.json is missing/);
    rejects([cfgFile, modelFile, { name: 'notes.txt', bytes: enc('x') }], /^notes\.txt: not part of a PEFT adapter/);
    rejects([cfgFile, { name: 'adapter_model.bin', bytes: enc('x') }], /^adapter_model\.bin: PyTorch pickles are not supported/);
    rejects([{ name: 'x.zip', bytes: enc('PK garbage') }], /^x\.zip: not a readable zip file/);
    rejects([{ name: 'x.zip', bytes: zipSync({ 'a/adapter_config.json': files['adapter/adapter_config.json'] }) }], /^x\.zip: holds no adapter_model\.safetensors beside a\/adapter_config\.json/);
    const two = zipSync({ 'a/adapter_config.json': cfgFile.bytes, 'a/adapter_model.safetensors': modelFile.bytes, 'b/adapter_config.json': cfgFile.bytes, 'b/adapter_model.safetensors': modelFile.bytes });
    rejects([{ name: 'two.zip', bytes: two }], /^two\.zip: holds 2 adapter folders \(a\/, b\/\)/);
    rejects([zip, cfgFile], /^run\.zip: drop the zip on its own/);
  });
});

describe('importAdapter: configs PEFT would load with another meaning, or not at all', () => {
  it.each([
    [{ init_lora_weights: 'pissa' }, /init_lora_weights is "pissa": PEFT re-runs it on load and changes the base weights/],
    [{ init_lora_weights: 'pissa_niter_4' }, /init_lora_weights is "pissa_niter_4"/],
    [{ init_lora_weights: 'olora' }, /"olora"/],
    [{ init_lora_weights: 'loftq' }, /"loftq"/],
    [{ init_lora_weights: 'corda' }, /"corda"/],
    [{ init_lora_weights: 3 }, /init_lora_weights must be true, false, "gaussian", "orthogonal" or "eva" \(got 3\)/],
    [{ lora_alpha: null }, /lora_alpha is null, which PEFT 0.21 cannot load \(no scaling\)/],
    [{ r: null }, /^adapter_config\.json: r is null/],
    [{ rank_pattern: null }, /rank_pattern is null, which PEFT 0.21 cannot load: leave it out/],
  ])('%j is refused with the reason', (patch, msg) => {
    rejects([withConfig(patch), modelFile], msg);
  });

  it.each([[true], [false], ['gaussian']])('init_lora_weights %j imports (PEFT loads the saved factors over any init)', (init) => {
    expect(importAdapter([withConfig({ init_lora_weights: init }), modelFile], page).tensors).toBeDefined();
  });
});
