/**
 * train_with_peft.py's command line: the flags override run_config.json (and the output config says so),
 * a flag that breaks the page's rules fails with the field's name, and lora_dropout (PEFT's own masks)
 * and bf16 autocast train; an export bundle trains from its own files. Without .venv the test skips with the reason, except in CI, where it fails.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../config/schema';
import { readSafetensors } from './safetensors';
import { bundleFiles } from './bundle';
import { metricsCsv } from './metricsCsv';
import type { MetricPoint } from '../engine/protocol';
import { fakeRun, smallConfig } from '../test/exportRun';
import { needPython, runPython, writeTempFolder } from '../test/python';

const SCRIPT = 'src/export/train_with_peft.py';

describe('train_with_peft.py command line', () => {
  it('flags override the config; a rank above the width fails naming r; dropout and bf16 train', (ctx) => {
    const py = needPython(ctx);
    const { config, errors } = validateConfig({ width: 32, dIn: 8, dOut: 4, r: 4, lora_alpha: 8, lora_dropout: 0.1, evalSize: 32, logEvery: 1, lr: 2 ** -5 });
    expect(errors).toEqual([]);
    const dir = writeTempFolder({ 'run_config.json': new TextEncoder().encode(JSON.stringify(config)) }, 'lora-lab-cli-');
    const cfgPath = join(dir, 'run_config.json');

    const bad = runPython(py, [SCRIPT, '--config', cfgPath, '--width', '16', '--rank', '40', '--out', join(dir, 'bad')]);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('r = 40 is outside 1..16');

    const out = join(dir, 'out');
    const r = runPython(py, [SCRIPT, '--config', cfgPath, '--steps', '6', '--rank', '2', '--width', '16', '--batch', '8', '--mixed-precision', 'bf16', '--out', out], undefined, 180_000);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const used = JSON.parse(readFileSync(join(out, 'run_config.json'), 'utf8'));
    expect([used.steps, used.r, used.width, used.batch, used.lora_dropout]).toEqual([6, 2, 16, 8, 0.1]);
    const points = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { step: number; loss: number; evalLoss: number }[];
    expect(points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const p of points) expect(Number.isFinite(p.loss) && Number.isFinite(p.evalLoss)).toBe(true);
    expect(points[5].evalLoss).toBeLessThan(points[0].evalLoss);
    // The page's CSV writer on the script's points writes the script's CSV, byte for byte.
    expect(readFileSync(join(out, 'metrics.csv'), 'utf8')).toBe(metricsCsv(points as unknown as MetricPoint[]));
    const adapterCfg = JSON.parse(readFileSync(join(out, 'adapter/adapter_config.json'), 'utf8'));
    expect([adapterCfg.r, adapterCfg.lora_dropout, [...adapterCfg.target_modules].sort()]).toEqual([2, 0.1, ['layers.1', 'layers.2']]);
    const a = readSafetensors(new Uint8Array(readFileSync(join(out, 'adapter/adapter_model.safetensors')))).tensors;
    expect(a.get('base_model.model.layers.1.lora_A.weight')!.shape).toEqual([2, 16]);
  }, 300_000);

  it('an export bundle trains from its own files (train_with_peft.py, toy_task.py, run_config.json)', (ctx) => {
    const py = needPython(ctx);
    const cfg = smallConfig({ logEvery: 1 });
    const dir = writeTempFolder(bundleFiles(fakeRun(cfg)));
    const r = runPython(py, [join(dir, 'train_with_peft.py'), '--config', join(dir, 'run_config.json'), '--steps', '3', '--out', join(dir, 'train_out')], undefined, 180_000);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const points = JSON.parse(readFileSync(join(dir, 'train_out/metrics.json'), 'utf8')) as { step: number }[];
    expect(points.map((p) => p.step)).toEqual([1, 2, 3]);
    const used = JSON.parse(readFileSync(join(dir, 'train_out/run_config.json'), 'utf8'));
    expect({ ...used, steps: cfg.steps }).toEqual(JSON.parse(JSON.stringify(cfg)));
  }, 300_000);

  it("metrics.csv cells are JavaScript's String(x) of each number", (ctx) => {
    const py = needPython(ctx);
    const xs = [1, 0.5, 1e-7, 1.5e-7, 9.99e-8, 1e-6, 1.234e-6, 1.2345678901234568e20, 1e21, Number.MAX_VALUE, Number.MIN_VALUE, -3e-4, 0.1, 100, -2.5e-12, 2 ** -7, 1e16, 12345678901234567, 0, -7];
    const code = 'import json, sys; sys.path.insert(0, "src/export"); from train_with_peft import js_number; print(json.dumps([js_number(x) for x in json.load(sys.stdin)]))';
    const r = runPython(py, ['-c', code], JSON.stringify(xs));
    expect(r.code, r.out.slice(-3000)).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(xs.map(String));
  });
});
