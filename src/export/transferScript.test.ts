/**
 * The learning rate carried to another rank, as a script: the run it writes is the panel's at the asked
 * rank and lr (lora_alpha following r only when the sweep held alpha_eff fixed), and train_with_peft.py
 * trains it from the zip's own files with that rank and learning rate. Without .venv the script part skips
 * with the reason, except in CI, where it fails.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { alphaEff } from '../config/schema';
import { analyzeSweep } from '../sweep/analysis';
import { syntheticSweep } from '../sweep/synthetic';
import { smallConfig } from '../test/exportRun';
import { needPython, runPython, writeTempFolder } from '../test/python';
import { transferConfig, transferScriptBlocker, transferScriptFiles, transferScriptZip } from './transferScript';

const loss = (rank: number, x: number) => 0.1 + 0.01 * rank + 0.002 * (x + 5 + Math.log2(rank) / 2) ** 2;

describe('the predicted run as a PyTorch script', () => {
  it("takes the panel's settings, the asked rank and lr; lora_alpha follows r only where alpha_eff was held fixed", () => {
    const base = smallConfig({ init: 'initA', seed: 7 });
    const eff = syntheticSweep({ ranks: [1, 2, 4], lr: { from: -7, to: -3, step: 1 }, alpha: { kind: 'alphaEff', values: [2] } }, (g) => loss(g.config.r, g.axes.log2lr), base);
    const cfg = transferConfig(analyzeSweep(eff)[0], eff.runs, 8, -6.25)!;
    expect([cfg.r, cfg.lora_alpha, cfg.lr, cfg.mode, cfg.init, cfg.seed, cfg.width]).toEqual([8, 16, 2 ** -6.25, 'lora', 'initA', 7, 16]);
    expect(alphaEff(cfg)).toBe(2);
    const fixed = syntheticSweep({ ranks: [1, 2, 4], lr: { from: -7, to: -3, step: 1 }, alpha: { kind: 'loraAlpha', values: [3] } }, (g) => loss(g.config.r, g.axes.log2lr), base);
    expect(transferConfig(analyzeSweep(fixed)[0], fixed.runs, 8, -6)!.lora_alpha).toBe(3);
    const lm = syntheticSweep({ ranks: [1, 2], lr: { from: -7, to: -6, step: 1 } }, () => 1, { ...base, task: 'lm' });
    expect(transferScriptBlocker(transferConfig(analyzeSweep(lm)[0], lm.runs, 4, -6))).toMatch(/toy task only/);
    expect(transferScriptBlocker(null)).toMatch(/no LoRA run/);
    // The zip holds the same files.
    const files = transferScriptFiles(cfg, 'why', 'test');
    expect(Object.keys(unzipSync(transferScriptZip(cfg, 'why', 'test'))).sort()).toEqual(Object.keys(files).sort());
    expect(JSON.parse(new TextDecoder().decode(files['run_config.json']))).toEqual(JSON.parse(JSON.stringify(cfg)));
  });

  it('train_with_peft.py trains the zip at that rank and learning rate', (ctx) => {
    const py = needPython(ctx);
    const base = smallConfig({ init: 'initA', logEvery: 1, warmup: 0, schedule: 'constant' });
    const s = syntheticSweep({ ranks: [1, 2], lr: { from: -7, to: -6, step: 1 } }, (g) => loss(g.config.r, g.axes.log2lr), base);
    const cfg = transferConfig(analyzeSweep(s)[0], s.runs, 5, -5.5)!;
    const dir = writeTempFolder(transferScriptFiles(cfg, 'why', 'test'), 'lora-lab-transfer-');
    const r = runPython(py, [join(dir, 'train_with_peft.py'), '--config', join(dir, 'run_config.json'), '--steps', '3', '--out', join(dir, 'out')], undefined, 180_000);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const points = JSON.parse(readFileSync(join(dir, 'out/metrics.json'), 'utf8')) as { step: number; lr: number }[];
    expect(points.map((p) => p.lr)).toEqual([2 ** -5.5, 2 ** -5.5, 2 ** -5.5]);
    const adapter = JSON.parse(readFileSync(join(dir, 'out/adapter/adapter_config.json'), 'utf8'));
    expect([adapter.r, adapter.lora_alpha]).toEqual([5, cfg.lora_alpha]);
  }, 300_000);
});
