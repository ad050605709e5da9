/**
 * Language-model exports against real transformers and PEFT: bundles built here on the shipped base
 * (public/models/tiny-llama-kjv) with random nonzero adapters, their test cases and greedy continuation
 * computed by the CPU reference on the merged weights, pass scripts/interop/check_lm_bundle.py; a bundle
 * whose adapter does not produce its recorded cases fails it. Skips without .venv, except in CI, where
 * it fails (src/test/python.ts).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { llamaShapeFromConfig } from '../tasks/llamaConfig';
import { MODULE_TYPES } from '../tasks/llamaModel';
import { buildLmBundle, lmBundleFiles, type LmBundleInput } from './lmBundle';
import { readSafetensors } from './safetensors';
import { lmRun } from '../test/lmRun';
import { needPython, runPython, writeTempFolder } from '../test/python';

const dir = new URL('../../public/models/tiny-llama-kjv/', import.meta.url);
const read = (f: string) => readFileSync(new URL(f, dir));
const base = { config: read('config.json').toString(), generationConfig: read('generation_config.json').toString(), safetensors: new Uint8Array(read('model.safetensors')) };
const shape = llamaShapeFromConfig(JSON.parse(base.config));
const weights = Object.fromEntries([...readSafetensors(base.safetensors, 'model.safetensors').tensors].map(([k, t]) => [k, t.data!]));
const bytes = (s: string) => [...new TextEncoder().encode(s)];

interface CheckResult {
  ok: boolean;
  failures: string[];
  max_abs_logit_diff: number;
  tokens_equal: boolean;
  generated_tokens: number;
  merged_vs_unmerged_max_abs_diff: number;
  merge_limit: number;
  merged_folder_vs_page_max_abs_diff?: number;
  load_adapter_exit_code: number;
}

function check(py: string, paths: string[]): { code: number; results: CheckResult[]; out: string } {
  const r = runPython(py, ['scripts/interop/check_lm_bundle.py', ...paths], undefined, 600_000);
  const results = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as CheckResult);
  return { code: r.code, results, out: r.out };
}

describe('check_lm_bundle.py with real PEFT on bundles built from the shipped base', () => {
  it('passes exports of q_proj, v_proj on layer 1 and of every projection on both layers; fails a wrong one', (ctx) => {
    const py = needPython(ctx);
    const common = { shape, weights, base, r: 4, alpha: 8, std: 0.1, prompt: 'And the LORD said', count: 50 };
    const cases = [bytes('And the LORD said'), bytes('In the beginning God created the heaven and the earth.'), [32]];
    const qv = lmRun({ ...common, cases, targets: { types: ['q_proj', 'v_proj'], layers: [1], mode: 'lora' }, seed: 11 });
    const all = lmRun({ ...common, cases, targets: { types: MODULE_TYPES, layers: [0, 1], mode: 'lora' }, rslora: true, seed: 12 });
    // the same model written as plain LoRA: same scaling, so the same cases
    const plain: LmBundleInput = { ...all, asPlainLora: true };
    const zeroed: LmBundleInput = { ...all, adapters: Object.fromEntries(Object.entries(all.adapters).map(([k, f]) => [k, { A: new Float32Array(f.A.length), B: new Float32Array(f.B.length) }])) };
    // the adapters change the model: its continuation is not the base's (fixtures/golden/llama_generate.json)
    expect(new TextDecoder().decode(Uint8Array.from(all.generation.tokens))).not.toMatch(/^ unto him, The son of/);

    const zipDir = writeTempFolder({}, 'lora-lab-lm-zip-');
    const zip = join(zipDir, 'all-rslora.zip');
    writeFileSync(zip, buildLmBundle(all));
    const good = [writeTempFolder(lmBundleFiles(qv, { merged: true })), zip, writeTempFolder(lmBundleFiles(plain))];
    const bad = writeTempFolder(lmBundleFiles(zeroed));
    // about 4 MB each: removed however the test ends
    ctx.onTestFinished(() => [zipDir, good[0], good[2], bad].forEach((d) => rmSync(d, { recursive: true, force: true })));
    const pass = check(py, good);
    expect(pass.results.length, pass.out).toBe(3);
    for (const [i, res] of pass.results.entries()) {
      expect(res.failures, `${good[i]}\n${pass.out}`).toEqual([]);
      expect(res.ok).toBe(true);
      expect(res.tokens_equal).toBe(true);
      expect(res.generated_tokens).toBe(50);
      expect(res.max_abs_logit_diff).toBeLessThan(1e-4);
      expect(res.merged_vs_unmerged_max_abs_diff).toBeLessThan(res.merge_limit);
      expect(res.merge_limit).toBeLessThan(1e-3);
      expect(res.load_adapter_exit_code).toBe(0);
    }
    expect(pass.results[0].merged_folder_vs_page_max_abs_diff).toBeLessThan(1e-4);
    expect(pass.code, pass.out).toBe(0);
    console.log(`check_lm_bundle.py: ${pass.results.map((r) => `max |logit diff| ${r.max_abs_logit_diff.toExponential(2)}, merged vs unmerged ${r.merged_vs_unmerged_max_abs_diff.toExponential(2)}, tokens equal ${r.tokens_equal}`).join('; ')}`);

    const fail = check(py, [bad]);
    expect(fail.code, fail.out).toBe(1);
    expect(fail.results[0].ok).toBe(false);
    expect(fail.results[0].failures.join('\n')).toContain('logits differ from the page');
    expect(fail.results[0].load_adapter_exit_code).toBe(1);
  }, 600_000);
});
