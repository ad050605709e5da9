/**
 * A 16-run sweep of the language model (ranks 1, 2, 4, 8 x four learning rates, LoRA on every
 * projection of both layers, the shipped base on Shakespeare) batched in one LlamaTrainer against the
 * same runs one after another, in adapter-steps per second, with the same check as the toy's sweep row
 * (every run ends done or collapsed; batched and sequential final losses agree).
 */
import { DEFAULT_CONFIG, TASK_PRESETS, type RunConfig } from '../src/config/schema';
import type { SweepRun } from '../src/engine/sweep';
import { compare } from './sweep';
import type { Measurement } from './types';

const RANKS = [1, 2, 4, 8];
const LRS = [2 ** -10, 2 ** -9, 2 ** -8, 2 ** -7];

export const lmSweepBench: Measurement = {
  name: 'lmsweep',
  async run(ctx) {
    const steps = ctx.quick ? 3 : 8;
    const over: Partial<RunConfig> = { ...TASK_PRESETS.lm, task: 'lm', batch: 2, seqLen: 32, steps, logEvery: steps };
    const runs: SweepRun[] = RANKS.flatMap((r) => LRS.map((lr) => ({ runId: `lm-r${r}-lr${Math.log2(lr)}`, config: { ...DEFAULT_CONFIG, ...over, r, lora_alpha: 2 * r, lr } })));
    const shape = `${runs.length} LM runs (r ${RANKS.join(',')} x ${LRS.length} lr), all 14 projections, 2 x 32 tokens, ${steps} steps`;
    return [await compare(ctx, runs, steps, shape, 'lm sweep batched vs sequential')];
  },
};
