/**
 * Interop with the real Python libraries (scripts/setup-python.sh makes .venv): PEFT loads our adapter
 * bundles and agrees with their test cases; the reference safetensors library writes the same bytes as
 * our writer and gives the same verdicts as our reader on thousands of mutated files.
 * Without .venv these tests skip with the reason, except in CI (process.env.CI), where they fail.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFiles } from './bundle';
import { readSafetensors, writeSafetensors } from './safetensors';
import { fakeRun, smallConfig } from '../test/exportRun';
import { needPython, runPython, writeTempFolder as writeBundle } from '../test/python';
import type { RunConfig } from '../config/schema';

describe('load_with_peft.py with real PEFT on CPU-built bundles', () => {
  const variants: [string, RunConfig, (r: ReturnType<typeof fakeRun>) => void][] = [
    ['LoRA, GELU, standard scaling', smallConfig(), () => {}],
    ['LoRA on one layer, ReLU, rsLoRA, r = 1', smallConfig({ activation: 'relu', scaling: 'rslora', r: 1, targets: [2], layers: 3 }), () => {}],
    ['full fine-tuning', smallConfig({ mode: 'fft', targets: [1] }), () => {}],
    ['a wrong recorded output (must fail)', smallConfig(), (r) => void (r.cases.adapted[0] += 0.01)],
  ];

  it('every bundle loads in PEFT and agrees with its test cases; a wrong one fails', (ctx) => {
    const py = needPython(ctx);
    const dirs = variants.map(([, cfg, spoil]) => {
      const run = fakeRun(cfg);
      spoil(run);
      return writeBundle(bundleFiles(run));
    });
    // One process for all bundles: importing PEFT takes ~10 s.
    const r = runPython(py, ['scripts/interop/run_bundles.py', ...dirs]);
    expect(r.code, r.out).toBe(0);
    const results = r.out.trim().split('\n').map((l) => JSON.parse(l) as { exit_code: number; output: string });
    variants.forEach(([what, cfg], i) => {
      const { exit_code, output } = results[i];
      if (what.includes('must fail')) {
        expect(exit_code, `${what}\n${output}`).toBe(1);
        expect(output).toContain('FAIL');
        return;
      }
      expect(exit_code, `${what}\n${output}`).toBe(0);
      const result = JSON.parse(output.split('\n').find((l) => l.startsWith('RESULT '))!.slice(7));
      expect(result.ok).toBe(true);
      expect(result.adapted_max_abs_diff, what).toBeLessThan(1e-5);
      if (cfg.mode === 'lora') expect(result.merged_vs_unmerged_max_abs_diff, what).toBeLessThan(1e-5);
    });
  }, 180_000);
});

describe('safetensors against the reference library', () => {
  const script = 'scripts/interop/reference_safetensors.py';

  it('the reference writer makes the same bytes as ours', (ctx) => {
    const py = needPython(ctx);
    const tensors = [
      { name: 'b.lora_B.weight', shape: [17, 3], data: Float32Array.from({ length: 51 }, (_, i) => Math.cos(i) / 7) },
      { name: 'a.lora_A.weight', shape: [3, 65], data: Float32Array.from({ length: 195 }, (_, i) => i * 1e-3 - 0.1) },
      { name: 'empty', shape: [0], data: new Float32Array(0) },
    ];
    const out = join(mkdtempSync(join(tmpdir(), 'lora-lab-st-')), 'ref.safetensors');
    const spec = { metadata: { format: 'pt' }, tensors: Object.fromEntries(tensors.map((t) => [t.name, { shape: t.shape, data: Array.from(t.data) }])) };
    const r = runPython(py, [script, 'write', out], JSON.stringify(spec));
    expect(r.code, r.out).toBe(0);
    expect(writeSafetensors(tensors, { format: 'pt' })).toEqual(new Uint8Array(readFileSync(out)));
  }, 60_000);

  it('our reader gives the reference verdict on every one-byte mutation of a valid file', (ctx) => {
    const py = needPython(ctx);
    const valid = new Uint8Array(readFileSync(new URL('../../fixtures/golden/safetensors/valid_adapter.safetensors', import.meta.url)));
    const n = Number(new DataView(valid.buffer, valid.byteOffset).getBigUint64(0, true));
    const dir = mkdtempSync(join(tmpdir(), 'lora-lab-mut-'));
    const files: string[] = [];
    const add = (bytes: Uint8Array) => {
      const f = join(dir, `m${files.length}.safetensors`);
      writeFileSync(f, bytes);
      files.push(f);
    };
    for (let pos = 8; pos < 8 + n; pos++) {
      for (const ch of '09"{}[],: x\0') {
        // A leading space is the one place the reference (0.8) is laxer than the format's rule.
        if (pos === 8 && ch === ' ') continue;
        const m = valid.slice();
        m[pos] = ch.charCodeAt(0);
        if (m[pos] !== valid[pos]) add(m);
      }
    }
    for (const len of [0, 7, 8, 100, 8 + n, valid.length - 1]) add(valid.slice(0, len));
    for (const delta of [-8, -1, 1, 8]) {
      const m = valid.slice();
      new DataView(m.buffer).setBigUint64(0, BigInt(n + delta), true);
      add(m);
    }
    const r = runPython(py, [script, 'verdicts', ...files]);
    expect(r.code, r.out).toBe(0);
    const ref = JSON.parse(r.out) as Record<string, string>;
    const disagree: string[] = [];
    for (const f of files) {
      let ours = 'accepted';
      try {
        readSafetensors(new Uint8Array(readFileSync(f)), f);
      } catch (e) {
        ours = `rejected: ${(e as Error).message}`;
      }
      if (ours.startsWith('accepted') !== ref[f].startsWith('accepted')) disagree.push(`${f}: ours ${ours} / reference ${ref[f]}`);
    }
    expect(files.length).toBeGreaterThan(3000);
    expect(disagree.slice(0, 10)).toEqual([]);
  }, 120_000);
});
