/**
 * The language model's train_with_peft.py under `accelerate launch` (PyTorch DDP, gloo on CPU): 2 processes,
 * each taking one of the 2 windows of every micro-batch, against 1 plain process on the same windows. DDP
 * averages the two halves' gradients, which is the whole micro-batch's mean, so the runs differ only by
 * float32 summation order. Both run from the bundle's own training files (lmTrainingFiles) on the shipped base,
 * with flags that override the config (--steps --rank --batch --seq-len: the output config and adapter say
 * so); a flag that breaks the page's rules fails naming the field, and --lora-dropout > 0 warns.
 * Without .venv the test skips with the reason, except in CI (process.env.CI), where it fails.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../config/schema';
import { splitText } from '../tasks/textData';
import { lmTrainingFiles } from './lmBundle';
import { readSafetensors } from './safetensors';
import { needPython, runPython, writeTempFolder } from '../test/python';

const asset = (p: string) => new Uint8Array(readFileSync(new URL(`../../public/${p}`, import.meta.url)));

describe("the language model's train_with_peft.py multi-process", () => {
  it('2 CPU processes under accelerate launch match 1 process: losses, eval losses, grad norms and adapter; flags override the config', (ctx) => {
    const py = needPython(ctx);
    // the page's language-model defaults (150 steps, r 8, batch 4, seqLen 64), which the flags below override
    const { config, errors } = validateConfig({ task: 'lm', lmData: 'user', accum: 2, logEvery: 1, lora_alpha: 16, lr: 2 ** -7, seed: 5, lmTargets: [7, 9] });
    const flags = ['--steps', '5', '--rank', '2', '--batch', '2', '--seq-len', '16'];
    expect(errors).toEqual([]);
    const files = {
      ...Object.fromEntries(['config.json', 'generation_config.json', 'model.safetensors'].map((f) => [`base/${f}`, asset(`models/tiny-llama-kjv/${f}`)])),
      ...lmTrainingFiles({ config, fineTune: asset('data/tinyshakespeare.txt').subarray(0, 20_000), pretrainHeldOut: splitText(asset('data/kjv.txt')).heldOut.subarray(0, 20_000) }),
    };
    const dir = writeTempFolder(files, 'lora-lab-lmddp-');
    const script = join(dir, 'train_with_peft.py');
    const bad = runPython(py, [script, '--rank', '200', '--lora-dropout', '0.1', '--out', join(dir, 'bad')]);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('r = 200 is outside 1..128');
    expect(bad.out).toContain('warning: lora_dropout 0.1: PEFT draws its own dropout masks');
    const r1 = runPython(py, [script, ...flags, '--out', join(dir, 'one')], undefined, 300_000);
    expect(r1.code, r1.out.slice(-3000)).toBe(0);
    // A port of its own, away from the default 29500 and from the toy's test (29600 + pid % 300).
    const port = String(29900 + (process.pid % 300));
    // --multi_gpu is accelerate's torchrun launcher; the script's --device cpu makes it gloo on CPU
    // (accelerate 1.15's --cpu --num_processes 2 starts a single process without an MPI hostfile).
    const launch = ['-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1', '--mixed_precision', 'no', '--dynamo_backend', 'no', '--main_process_port', port];
    const r2 = runPython(py, [...launch, script, ...flags, '--accelerate', '--device', 'cpu', '--out', join(dir, 'two')], undefined, 300_000);
    expect(r2.code, r2.out.slice(-3000)).toBe(0);
    expect(r2.out).toContain('2 processes, DistributedType.MULTI_CPU (gloo), 1 windows of each micro-batch each');

    type Point = { loss: number; evalLosses: number[]; gradNorm: number };
    const metrics = (d: string) => JSON.parse(readFileSync(join(dir, d, 'metrics.json'), 'utf8')) as Point[];
    const [m1, m2] = [metrics('one'), metrics('two')];
    const used = JSON.parse(readFileSync(join(dir, 'one', 'run_config.json'), 'utf8'));
    expect([used.steps, used.r, used.batch, used.seqLen, used.lora_dropout]).toEqual([5, 2, 2, 16, 0]);
    expect(JSON.parse(readFileSync(join(dir, 'one', 'adapter/adapter_config.json'), 'utf8'))).toMatchObject({ r: 2, lora_alpha: 16, target_modules: expect.arrayContaining(['q_proj', 'v_proj']), layers_to_transform: [1] });
    expect(m1.length).toBe(5);
    expect(m2.length).toBe(5);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    const worst = (get: (p: Point) => number) => Math.max(...m1.map((p, j) => rel(get(m2[j]), get(p))));
    const adapter = (d: string) => readSafetensors(new Uint8Array(readFileSync(join(dir, d, 'adapter/adapter_model.safetensors')))).tensors;
    const [a1, a2] = [adapter('one'), adapter('two')];
    let tensorDiff = 0;
    for (const [name, t] of a1) t.data!.forEach((v, j) => (tensorDiff = Math.max(tensorDiff, Math.abs(a2.get(name)!.data![j] - v))));
    const [loss, ev, ev2, gn] = [worst((p) => p.loss), worst((p) => p.evalLosses[0]), worst((p) => p.evalLosses[1]), worst((p) => p.gradNorm)];
    console.log(`language model, 2 processes vs 1: loss rel ${loss.toExponential(2)}, eval ${ev.toExponential(2)} / ${ev2.toExponential(2)}, grad norm ${gn.toExponential(2)}, adapter max |diff| ${tensorDiff.toExponential(2)}`);
    expect(a1.get('base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight')!.shape).toEqual([2, 128]);
    expect(m1[0].evalLosses[0]).not.toBe(m1[4].evalLosses[0]);
    for (const x of [loss, ev, ev2, gn, tensorDiff]) expect(x).toBeLessThan(1e-5);
  }, 600_000);
});
