/**
 * The language model's GPU trainer against the CPU reference (src/ref/llamaLora.ts, itself checked
 * against PyTorch + PEFT), and against PyTorch + PEFT's own step: losses, every adapter gradient and the AdamW step, for several runs at once
 * with different ranks and scalings, on the golden tiny model (grouped heads) and targets that leave
 * frozen stages above and below the trained ones.
 */
import { describe, expect, it } from 'vitest';
import golden from '../../fixtures/golden/llama_forward.json';
import peft from '../../fixtures/golden/llama_lora_step.json';
import { llamaLoraLossGrad, type LlamaAdapters } from '../ref/llamaLora';
import type { LlamaShape, LlamaWeights } from '../ref/llama';
import { llamaShapeFromConfig } from '../tasks/llamaConfig';
import { llamaLinears, MODULE_TYPES, type LlamaTargets } from '../tasks/llamaModel';
import { Rng } from '../rng';
import { adamwInit, adamwStep } from '../ref/adamw';
import { testDevice, withErrorScope } from '../test/gpu';
import { assertClose } from '../test/compare';
import { LlamaTrainer, type LmRunInit } from './llamaTrainer';
import type { StepHyper } from './types';

const shape: LlamaShape = llamaShapeFromConfig(golden.config);
const weights: LlamaWeights = Object.fromEntries(Object.entries(golden.weights).map(([k, v]) => [k, Float32Array.from(v)]));
const OPTIM = { kind: 'adamw' as const, beta1: 0.9, beta2: 0.999, eps: 1e-8, momentum: 0 };
const HYPER: StepHyper = { lr: 1e-2, weightDecay: 0.01, loraPlusRatio: 1, clip: 0 };
const SEQ = 9;

function windows(rng: Rng, n: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: SEQ + 1 }, () => Math.floor(rng.uniform() * shape.vocab)));
}

/** A run's initial factors: A and B both random (so every gradient is nonzero). */
function randomRun(targets: LlamaTargets, r: number, scaling: number, seed: number): { init: LmRunInit; adapters: LlamaAdapters } {
  const rng = new Rng(seed);
  const mods = llamaLinears(shape, targets);
  const adapters: LlamaAdapters = {};
  const init: LmRunInit = { r, scaling, A: [], B: [] };
  mods.forEach((m, i) => {
    if (m.mode !== 'lora') return void (init.A.push(null), init.B.push(null));
    const A = Float32Array.from({ length: r * m.dIn }, () => 0.3 * rng.normal());
    const B = Float32Array.from({ length: m.dOut * r }, () => 0.3 * rng.normal());
    init.A[i] = A;
    init.B[i] = B;
    adapters[m.name] = { r, scaling, A, B };
  });
  return { init, adapters };
}

const CASES: [string, LlamaTargets][] = [
  ['every projection of both layers', { types: MODULE_TYPES, layers: [0, 1], mode: 'lora' }],
  ['q and v of the top layer only', { types: ['q_proj', 'v_proj'], layers: [1], mode: 'lora' }],
  ['o and up of the bottom layer (gradients through the frozen top)', { types: ['o_proj', 'up_proj'], layers: [0], mode: 'lora' }],
  ['gate only (a sibling of a frozen projection)', { types: ['gate_proj', 'k_proj'], layers: [1], mode: 'lora' }],
];

describe('language model trainer on WebGPU vs the CPU reference', () => {
  it.each(CASES)('%s: losses and gradients of 2 runs (ranks 2, 3), 2 micro-batches', async (_, targets) => {
    const device = await testDevice();
    const rng = new Rng(5);
    const batch = 2;
    const runs = [randomRun(targets, 2, 0.5, 1), randomRun(targets, 3, 2 / Math.sqrt(3), 2)];
    const modules = llamaLinears(shape, targets);
    const micro = [windows(rng, batch), windows(rng, batch)];
    const evalSet = windows(rng, 2 * batch);
    const tr = await withErrorScope(device, () =>
      new LlamaTrainer(device, { shape, weights, modules, batch, seq: SEQ, accum: 2, optim: OPTIM, divergeBound: 1e6, evalSets: [evalSet] }, runs.map((r) => r.init)),
    );
    try {
      const logs = (await withErrorScope(device, () => tr.step({ t: 1, hypers: [HYPER, HYPER], windows: micro }, true)))!;
      const grads = await tr.readGrads(0).then(async (g0) => [g0, await tr.readGrads(1)]);
      runs.forEach((run, i) => {
        const ref = micro.map((w) => llamaLoraLossGrad(shape, weights, run.adapters, w));
        const loss = (ref[0].loss + ref[1].loss) / 2;
        expect(Math.abs(logs[i].loss - loss) / loss, `run ${i} loss`).toBeLessThan(1e-5);
        modules.forEach((m, j) => {
          if (m.mode !== 'lora') return;
          const r = run.init.r;
          const want = (k: 'dA' | 'dB') => ref[0].grads[m.name][k].map((x, e) => (x + ref[1].grads[m.name][k][e]) / 2);
          // the block holds factors at the group's padded rank (3): cut run 0's back to its own
          const cut = (t: Float32Array, rows: number, cols: number, keepCols: number) => Float32Array.from({ length: rows * keepCols }, (_, e) => t[Math.floor(e / keepCols) * cols + (e % keepCols)]);
          assertClose(grads[i][`A${j}`].subarray(0, r * m.dIn), want('dA'), { atol: 1e-5, rtol: 1e-3 }, `run ${i} dA ${m.name}`);
          assertClose(cut(grads[i][`B${j}`], m.dOut, 3, r), want('dB'), { atol: 1e-5, rtol: 1e-3 }, `run ${i} dB ${m.name}`);
        });
      });
      // one AdamW step on the mean gradient (the reference's), then the eval loss of the updated adapters
      const after = await tr.readRuns([2, 3]);
      runs.forEach((run, i) => {
        const ref = micro.map((w) => llamaLoraLossGrad(shape, weights, run.adapters, w));
        const updated: LlamaAdapters = {};
        for (const [j, m] of modules.entries()) {
          if (m.mode !== 'lora') continue;
          const step = (p0: Float32Array, k: 'dA' | 'dB') => {
            const g = ref[0].grads[m.name][k].map((x, e) => (x + ref[1].grads[m.name][k][e]) / 2);
            const s = adamwInit(p0);
            adamwStep(s, g, 1, [{ start: 0, end: p0.length }], [{ lr: HYPER.lr, weightDecay: HYPER.weightDecay }], OPTIM);
            return Float32Array.from(s.p);
          };
          const A = step(run.adapters[m.name].A as Float32Array, 'dA');
          const B = step(run.adapters[m.name].B as Float32Array, 'dB');
          assertClose(after[i][`A${j}`], A, { atol: 1e-5, rtol: 1e-4 }, `run ${i} A ${m.name} after the step`);
          assertClose(after[i][`B${j}`], B, { atol: 1e-5, rtol: 1e-4 }, `run ${i} B ${m.name} after the step`);
          updated[m.name] = { r: run.init.r, scaling: run.init.scaling, A, B };
        }
        const evalLoss = (llamaLoraLossGrad(shape, weights, updated, evalSet.slice(0, 2)).loss + llamaLoraLossGrad(shape, weights, updated, evalSet.slice(2)).loss) / 2;
        expect(logs[i].evalLosses).toHaveLength(1);
        expect(Math.abs(logs[i].evalLoss! - evalLoss) / evalLoss, `run ${i} eval loss`).toBeLessThan(1e-5);
      });
    } finally {
      tr.destroy();
    }
  });
});

describe('language model trainer on WebGPU vs PyTorch + PEFT (fixtures/golden/llama_lora_step.json)', () => {
  const pShape = llamaShapeFromConfig(peft.config);
  const pWeights: LlamaWeights = Object.fromEntries(Object.entries(peft.weights).map(([k, v]) => [k, Float32Array.from(v)]));
  it.each(peft.cases.map((c) => [c.name, c] as const))('%s: loss, every gradient and one AdamW step', async (_, c) => {
    const device = await testDevice();
    const targets = { types: c.lora_config.target_modules as LlamaTargets['types'], layers: c.lora_config.layers_to_transform ?? [0, 1], mode: 'lora' as const };
    const modules = llamaLinears(pShape, targets);
    const init: LmRunInit = { r: c.lora_config.r, scaling: c.scaling, A: [], B: [] };
    modules.forEach((m) => {
      const a = (c.adapters as Record<string, { A: number[]; B: number[] }>)[m.name];
      init.A.push(m.mode === 'lora' ? Float32Array.from(a.A) : null);
      init.B.push(m.mode === 'lora' ? Float32Array.from(a.B) : null);
    });
    expect(modules.filter((m) => m.mode === 'lora').map((m) => m.name).sort()).toEqual(Object.keys(c.adapters).sort());
    const seq = c.windows[0].length - 1;
    const optim = { kind: 'adamw' as const, beta1: peft.adamw.betas[0], beta2: peft.adamw.betas[1], eps: peft.adamw.eps, momentum: 0 };
    const tr = new LlamaTrainer(device, { shape: pShape, weights: pWeights, modules, batch: c.windows.length, seq, accum: 1, optim, divergeBound: 1e6, evalSets: [] }, [init]);
    try {
      const hyper = { lr: peft.adamw.lr, weightDecay: peft.adamw.weight_decay, loraPlusRatio: 1, clip: 0 };
      const log = (await withErrorScope(device, () => tr.step({ t: 1, hypers: [hyper], windows: [c.windows] }, true)))![0];
      expect(Math.abs(log.loss - c.loss) / c.loss).toBeLessThan(2e-6);
      assertClose((await tr.readLogits()).subarray(0, seq * pShape.vocab), c.logits_first_window, { atol: 1e-5, rtol: 1e-4 }, 'logits');
      const grads = await tr.readGrads();
      const after = (await tr.readRuns([init.r]))[0];
      modules.forEach((m, j) => {
        if (m.mode !== 'lora') return;
        const g = (c.grads as Record<string, { dA: number[]; dB: number[] }>)[m.name];
        const p = (c.after_adamw as Record<string, { A: number[]; B: number[] }>)[m.name];
        assertClose(grads[`A${j}`], g.dA, { atol: 1e-6, rtol: 1e-3 }, `dA ${m.name}`);
        assertClose(grads[`B${j}`], g.dB, { atol: 1e-6, rtol: 1e-3 }, `dB ${m.name}`);
        assertClose(after[`A${j}`], p.A, { atol: 1e-6, rtol: 1e-4 }, `A ${m.name} after AdamW`);
        assertClose(after[`B${j}`], p.B, { atol: 1e-6, rtol: 1e-4 }, `B ${m.name} after AdamW`);
      });
    } finally {
      tr.destroy();
    }
  });
});
