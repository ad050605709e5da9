import { describe, expect, it } from 'vitest';
import { CpuTrainer } from './trainer';
import { goldenCase, goldenSetup, goldenTrainable, GOLDEN_HYPER, GOLDEN_STEPS } from '../test/goldenTrainStep';
import { assertClose } from '../test/compare';
import { slot } from '../engine/layout';
import type { TrainSetup } from '../engine/types';
import { numericGrad } from '../test/finiteDiff';
import { Rng } from '../rng';

const TIGHT = { atol: 1e-6, rtol: 1e-5 };

describe('CPU reference trainer vs the PyTorch golden training step', () => {
  it.each(['lora', 'fft'] as const)('%s: losses, step-1 gradients and params after 3 AdamW steps', (mode) => {
    const g = goldenCase(mode);
    const t = new CpuTrainer(goldenSetup(mode));
    const x = Float32Array.from(g.X);
    const target = Float32Array.from(g.target);
    for (let k = 1; k <= GOLDEN_STEPS; k++) {
      const log = t.step({ t: k, hypers: [GOLDEN_HYPER], x: [x], targets: [target] });
      expect(log.loss).toBeCloseTo(g.loss_before_each_step[k - 1], 6);
      if (k === 1) {
        goldenTrainable(mode).forEach((name: string, j: number) => {
          const s = slot(t.layout, name)!;
          assertClose(t.lastGrads!.subarray(s.offset, s.offset + s.size), g.grads_at_step_1[j], TIGHT, `grad ${name}`);
        });
      }
    }
    goldenTrainable(mode).forEach((name: string, j: number) => assertClose(t.tensor(name), g.params_after_3_steps[j], TIGHT, `param ${name}`));
  });
});

describe('CPU reference trainer gradients vs finite differences', () => {
  // A tiny model with every feature on: LoRA + dropout on layer 1, full training on layer 2, biases,
  // gradient accumulation; the loss of step 1 as a function of the trainable parameters.
  const base = (loss: 'mse' | 'ce'): TrainSetup => {
    const rng = new Rng(3);
    const sizes = [3, 5, 4, 3];
    return {
      spec: { sizes, bias: true, activation: 'gelu_tanh', modes: ['frozen', 'lora', 'full'], r: 2, scaling: 1.5, loss },
      base: { W: [0, 1, 2].map((i) => rng.normals(sizes[i] * sizes[i + 1], 0.7)), b: [0, 1, 2].map((i) => rng.normals(sizes[i + 1], 0.3)) },
      teacher: { W: [0, 1, 2].map((i) => rng.normals(sizes[i] * sizes[i + 1], 0.7)), b: [0, 1, 2].map((i) => rng.normals(sizes[i + 1], 0.3)) },
      loraA: [null, rng.normals(2 * 5, 0.5), null],
      loraB: [null, rng.normals(4 * 2, 0.5), null],
      batch: 4,
      accum: 2,
      optim: { kind: 'sgd', beta1: 0.9, beta2: 0.999, eps: 1e-8, momentum: 0 },
      dropout: 0.3,
      seed: 11,
      lossScale: 1.7,
      evalX: null,
      evalRows: 0,
      divergeBound: 1e6,
    };
  };

  it.each(['mse', 'ce'] as const)('%s: analytic gradients match central differences', (loss) => {
    const setup = base(loss);
    const rng = new Rng(5);
    const x = [rng.normals(12), rng.normals(12)];
    const probe = new CpuTrainer(setup);
    probe.step({ t: 1, hypers: [{ lr: 0, weightDecay: 0, loraPlusRatio: 1, clip: 0 }], x });
    const analytic = probe.lastGrads!;
    const lossAt = (p: Float64Array) => {
      const tr = new CpuTrainer(setup);
      tr.params.set(p);
      let sum = 0;
      for (let k = 0; k < setup.accum; k++) {
        const { out } = tr.forward(x[k], setup.batch, { t: 1, micro: k });
        sum += tr.loss(out, setup.batch, tr.targetsFor(x[k], setup.batch)).loss;
      }
      return sum / setup.accum;
    };
    const numeric = numericGrad(lossAt, probe.params.slice(), 1e-6);
    // padding entries have zero gradient both ways
    assertClose(analytic, numeric, { atol: 1e-7, rtol: 1e-5 }, `${loss} grads`);
  });
});
