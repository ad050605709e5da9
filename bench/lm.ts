/**
 * The language model's forward pass (src/engine/llamaForward.ts) on the shipped base, in tokens per
 * second, against the CPU reference (src/ref/llama.ts, plain TypeScript) on the same tokens; then the
 * GPU pass's time per kernel family (timestamp queries, where the adapter has them). Checked first: the
 * two agree on every logit.
 */
import { readF32 } from '../src/gpu/buffers';
import { LlamaForward } from '../src/engine/llamaForward';
import { llamaForward } from '../src/ref/llama';
import { loadBaseModel } from '../src/tasks/llamaAssets';
import { Rng } from '../src/rng';
import { familyTable, timeDispatches } from './profile';
import { plan, row, runGpu, timeReps } from './timing';
import { CheckFailed, type Measurement } from './types';

export const lmBench: Measurement = {
  name: 'lm',
  async run(ctx) {
    const { shape, weights: w } = await loadBaseModel();
    const batch = ctx.quick ? 2 : 4;
    const seq = shape.context;
    const rng = new Rng(11);
    const tokens = Array.from({ length: batch * seq }, () => 32 + Math.floor(rng.uniform() * 95));
    const f = new LlamaForward(ctx.device, shape, w, batch, seq);
    try {
      f.run(tokens);
      const got = await readF32(ctx.device, f.logits, batch * seq * shape.vocab);
      const want = llamaForward(shape, w, tokens.slice(0, seq));
      const worst = Math.max(...want.map((x, i) => Math.abs(got[i] - x) / (1e-4 + Math.abs(x))));
      if (!(worst < 1e-3)) throw new CheckFailed(`lm forward: GPU and CPU reference logits differ by ${worst} relative`);
      ctx.log(`  lm forward check ok (worst ${worst.toExponential(1)} relative)`);
      const p = plan(ctx);
      const gpu = await timeReps((iters) => runGpu(ctx.device, f.dispatches, iters), p);
      const cpu = await timeReps(async (iters) => {
        for (let i = 0; i < iters; i++) for (let b = 0; b < batch; b++) llamaForward(shape, w, tokens.slice(b * seq, (b + 1) * seq));
      }, { reps: Math.min(3, p.reps), minRepMs: p.minRepMs });
      if (ctx.device.features.has('timestamp-query')) familyTable(ctx, `lm forward (${batch} x ${seq} tokens)`, f.dispatches, await timeDispatches(ctx.device, f.dispatches, ctx.quick ? 2 : 5));
      return [row('lm forward vs CPU reference', `tiny-llama-kjv, ${batch} x ${seq} tokens`, 'tokens/s', batch * seq, gpu, cpu, 'ours: the kernels on WebGPU; peer = src/ref/llama.ts (plain TypeScript, one thread)')];
    } finally {
      f.destroy();
    }
  },
};
