/**
 * Optimizer throughput: our fused AdamW (one dispatch over a flat buffer with two parameter groups) against
 * TensorFlow.js `tf.train.adam` (AdamOptimizer.applyGradients on one variable), in million parameters
 * updated per second. tfjs's Adam has no weight decay and runs ~a dozen elementwise ops per step; ours
 * does decay too, so the comparison does not favour us.
 */
import { createAdamW, type GroupHyper } from '../src/gpu/kernels/adamw';
import * as ref from '../src/ref/adamw';
import { readF32, uploadF32 } from '../src/gpu/buffers';
import { Rng } from '../src/rng';
import { checkClose } from './check';
import { tfSync, tfWebgpu } from './tfjs';
import { plan, row, runGpu, timeReps } from './timing';
import type { Measurement } from './types';

const N = 1 << 20;
const CFG = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const LR = 1e-3;
// f32 state after one step of size ~lr.
const TOL = { atol: 1e-6, rtol: 1e-5 };

export const adamwBench: Measurement = {
  name: 'adamw',
  async run(ctx) {
    const { device } = ctx;
    const rng = new Rng(2024);
    const p0 = rng.normals(N);
    const g = rng.normals(N);
    ctx.log(`adamw ${N} params`);

    // Two groups as the trainer has them (A matrices, then B matrices with a LoRA+ learning rate).
    const groups = [{ start: 0, end: N / 2 }, { start: N / 2, end: N }];
    const hyper: GroupHyper[] = [{ lr: LR, weightDecay: 0.01 }, { lr: 16 * LR, weightDecay: 0.01 }];
    const bufs = {
      params: uploadF32(device, `bench.p(${N})`, p0),
      grads: uploadF32(device, `bench.g(${N})`, g),
      m: uploadF32(device, `bench.m(${N})`, new Float32Array(N)),
      v: uploadF32(device, `bench.v(${N})`, new Float32Array(N)),
      clipCoef: uploadF32(device, 'bench.clip(1)', [1]),
    };
    const opt = createAdamW(device, N, groups, bufs, CFG);
    opt.setStep(1, hyper);
    await runGpu(device, [opt.dispatch], 1);
    const want = ref.adamwInit(p0);
    ref.adamwStep(want, g, 1, groups, hyper, CFG);
    checkClose(await readF32(device, bufs.params, N), want.p, TOL, 'ours adamw step 1');
    ctx.log('  ours: check ok, timing');
    const ours = await timeReps((iters) => runGpu(device, [opt.dispatch], iters), plan(ctx));
    Object.values(bufs).forEach((b) => b.destroy());

    const tf = await tfWebgpu();
    const variable = tf.variable(tf.tensor1d(p0), true, 'bench_adam_p');
    const grad = tf.tensor1d(g);
    const adam = tf.train.adam(LR, CFG.beta1, CFG.beta2, CFG.eps);
    const named = [{ name: variable.name, tensor: grad }];
    try {
      adam.applyGradients(named);
      const plain = ref.adamwInit(p0);
      ref.adamwStep(plain, g, 1, [{ start: 0, end: N }], [{ lr: LR, weightDecay: 0 }], CFG);
      checkClose(await variable.data(), plain.p, TOL, 'tfjs adam step 1');
      ctx.log('  tfjs: check ok, timing');
      const peer = await timeReps(async (iters) => {
        for (let i = 0; i < iters; i++) adam.applyGradients(named);
        await tfSync(variable);
      }, plan(ctx));
      return [row('adamw step vs tfjs adam', `${N} params`, 'Mparam/s', N / 1e6, ours, peer, 'ours: fused, 2 groups, wd; peer = tf.train.adam')];
    } finally {
      adam.dispose();
      variable.dispose();
      grad.dispose();
    }
  },
};
