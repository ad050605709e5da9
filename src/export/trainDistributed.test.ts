/**
 * train_with_peft.py under `accelerate launch` (PyTorch DDP, gloo on CPU): 2 processes, each taking half of
 * every micro-batch, against 1 plain process on the same global batch. DDP averages the two halves'
 * gradients, which is the whole batch's mean, so the runs differ only by float32 summation order.
 * Without .venv the test skips with the reason, except in CI (process.env.CI), where it fails.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../config/schema';
import { readSafetensors } from './safetensors';
import { needPython, runPython, writeTempFolder } from '../test/python';

const SCRIPT = 'src/export/train_with_peft.py';

describe('train_with_peft.py multi-process', () => {
  it('2 CPU processes under accelerate launch match 1 process: losses, grad norms and adapter', (ctx) => {
    const py = needPython(ctx);
    const { config, errors } = validateConfig({ width: 32, layers: 2, dIn: 16, dOut: 8, trueRank: 4, r: 4, lora_alpha: 4, evalSize: 64, batch: 16, accum: 2, steps: 12, logEvery: 1, lr: 2 ** -6, seed: 5 });
    expect(errors).toEqual([]);
    const [one, two] = ['1', '2'].map(() => writeTempFolder({ 'run_config.json': new TextEncoder().encode(JSON.stringify(config)) }, 'lora-lab-ddp-'));
    const r1 = runPython(py, [SCRIPT, '--config', join(one, 'run_config.json'), '--out', one], undefined, 180_000);
    expect(r1.code, r1.out.slice(-3000)).toBe(0);
    // A port of its own, away from the default 29500 that another job on the machine may hold.
    const port = String(29600 + (process.pid % 300));
    // --multi_gpu is accelerate's torchrun launcher; the script's --device cpu makes it gloo on CPU
    // (accelerate 1.15's --cpu --num_processes 2 starts a single process without an MPI hostfile).
    const launch = ['-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1', '--mixed_precision', 'no', '--dynamo_backend', 'no', '--main_process_port', port];
    const r2 = runPython(py, [...launch, SCRIPT, '--accelerate', '--device', 'cpu', '--config', join(two, 'run_config.json'), '--out', two], undefined, 180_000);
    expect(r2.code, r2.out.slice(-3000)).toBe(0);
    expect(r2.out).toContain('2 processes, DistributedType.MULTI_CPU (gloo)');

    const metrics = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { loss: number; evalLoss: number; gradNorm: number }[];
    const [m1, m2] = [metrics(one), metrics(two)];
    expect(m2.length).toBe(config.steps);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    const worst = (key: 'loss' | 'evalLoss' | 'gradNorm') => Math.max(...m1.map((p, j) => rel(m2[j][key], p[key])));
    const adapter = (dir: string) => readSafetensors(new Uint8Array(readFileSync(join(dir, 'adapter/adapter_model.safetensors')))).tensors;
    const [a1, a2] = [adapter(one), adapter(two)];
    let tensorDiff = 0;
    for (const [name, t] of a1) t.data!.forEach((v, j) => (tensorDiff = Math.max(tensorDiff, Math.abs(a2.get(name)!.data![j] - v))));
    console.log(`2 processes vs 1: loss rel ${worst('loss').toExponential(2)}, eval ${worst('evalLoss').toExponential(2)}, grad norm ${worst('gradNorm').toExponential(2)}, adapter max |diff| ${tensorDiff.toExponential(2)}`);
    expect(m1[0].loss).not.toBe(m1[config.steps - 1].loss);
    expect(worst('loss')).toBeLessThan(1e-5);
    expect(worst('evalLoss')).toBeLessThan(1e-5);
    expect(worst('gradNorm')).toBeLessThan(1e-5);
    expect(tensorDiff).toBeLessThan(1e-5);
  }, 400_000);
});
