/**
 * The language model's LoRA training step in tokens per second (batch * seq tokens per step) on the shipped
 * base, settings from lmStepSettings.json (shared with the PyTorch CPU peer that scripts/bench.mjs runs):
 * LoRA on every projection of both layers, one fixed batch of windows evenly spaced over the corpus's
 * training split (deterministic, so bench/torch_lm_step.py picks the same ones). Ours (bench/lmStepOurs.ts:
 * the page's LlamaTrainer) against the TensorFlow.js peer (bench/tfjsLlama.ts), both built from the same
 * LmPeerArgs, checked and timed the same way.
 * Each repetition ends with one loss readback, the sync point.
 */
import { llamaLinears, MODULE_TYPES, type ModuleType } from '../src/tasks/llamaModel';
import { BASE_MODEL, CORPORA, loadBaseModel, loadCorpus } from '../src/tasks/llamaAssets';
import { evalWindows, splitText } from '../src/tasks/textData';
import { checkLmStepper, checkTfjsLlama, referenceLoss, type LmStepCheck, type LmStepFactory } from './lmStepCheck';
import settings from './lmStepSettings.json';
import { tfjsLlamaStep, type LmPeerArgs } from './tfjsLlama';
import { ourLlamaStep } from './lmStepOurs';
import { familyTable, timeDispatches } from './profile';
import { plan, row, timeReps, type RepPlan, type RepStats } from './timing';
import { CheckFailed, type BenchContext, type Measurement, type Row } from './types';

/** The row's LmPeerArgs: the base, the corpus windows and the settings (quick: the smaller batch). */
export async function lmStepArgs(quick: boolean): Promise<LmPeerArgs> {
  const corpus = Object.values(CORPORA).find((c) => c === settings.corpus);
  if (!corpus) throw new Error(`lmStepSettings.json: corpus ${settings.corpus} is not one of ${Object.values(CORPORA).join(', ')}`);
  const types = settings.target_modules.filter((t): t is ModuleType => (MODULE_TYPES as readonly string[]).includes(t));
  if (types.length !== settings.target_modules.length) throw new Error(`lmStepSettings.json: target_modules must be among ${MODULE_TYPES.join(', ')}`);
  const [{ shape, weights }, text] = await Promise.all([loadBaseModel(), loadCorpus(corpus)]);
  const { batch: full, quickBatch, seq, r, lora_alpha, lr, weight_decay, seed } = settings;
  const batch = quick ? quickBatch : full;
  const { inputs, targets } = evalWindows(splitText(text).train, seq, batch);
  const windows = Array.from({ length: batch }, (_, b) => [...inputs.subarray(b * seq, (b + 1) * seq), targets[(b + 1) * seq - 1]]);
  const modules = llamaLinears(shape, { types, layers: settings.layers_to_transform, mode: 'lora' }).filter((m) => m.mode === 'lora').map((m) => m.name);
  return { shape, weights, batch, seq, r, scaling: lora_alpha / r, targets: modules, windows, lr, weightDecay: weight_decay, seed };
}

async function timeStepper(make: LmStepFactory, a: LmPeerArgs, p: RepPlan, name: string): Promise<RepStats> {
  const stepper = await make(a);
  try {
    await stepper.run(2); // warm: shaders compile on first use
    return await timeReps(async (iters) => {
      const loss = await stepper.run(iters);
      if (!Number.isFinite(loss)) throw new CheckFailed(`lmstep ${name}: loss ${loss} while timing`);
    }, p);
  } finally {
    stepper.dispose();
  }
}

const figures = (c: LmStepCheck) => `first-step loss ${c.first.toFixed(6)} vs CPU reference ${c.reference.toFixed(6)} (rel ${c.relErr.toExponential(1)}); lr 1e-2 losses ${c.losses.map((l) => l.toFixed(4)).join(' ')}`;

/** Checks, then times, the tfjs peer and, when given, ours. */
export async function measureLmStep(ctx: BenchContext, ours?: LmStepFactory): Promise<Row[]> {
  const a = await lmStepArgs(ctx.quick);
  const label = `${BASE_MODEL}, ${a.batch} x ${a.seq} tokens, r ${a.r}, ${a.targets.length} modules`;
  const reference = referenceLoss(a);
  ctx.log(`  tfjs: ${figures(await checkTfjsLlama(a, reference))}`);
  if (ours) ctx.log(`  ours: ${figures(await checkLmStepper('ours', ours, a, reference))}`);
  const p = plan(ctx);
  const peer = await timeStepper(tfjsLlamaStep, a, p, 'tfjs');
  ctx.log(`  tfjs: ${(1000 / peer.medianMs).toFixed(2)} steps/s (${peer.iters} steps per rep)`);
  const mine = ours ? await timeStepper(ours, a, p, 'ours') : null;
  if (mine) ctx.log(`  ours: ${(1000 / mine.medianMs).toFixed(2)} steps/s (${mine.iters} steps per rep)`);
  return [row('lm LoRA train step vs tfjs', label, 'tokens/s', a.batch * a.seq, mine, peer, 'peer = the same step in tfjs ops (computeGradients, Adam + decoupled decay), tfjs-backend-webgpu')];
}

export const lmStepBench: Measurement = {
  name: 'lmstep',
  async run(ctx) {
    const rows = await measureLmStep(ctx, (a) => ourLlamaStep(ctx.device, a));
    // each kernel family's share of our step (timestamp queries, one pass per dispatch)
    if (ctx.device.features.has('timestamp-query')) {
      const a = await lmStepArgs(ctx.quick);
      const s = await ourLlamaStep(ctx.device, a);
      try {
        await s.run(1);
        const list = s.dispatches();
        familyTable(ctx, `lm LoRA train step (${a.batch} x ${a.seq} tokens, r ${a.r}, ${a.targets.length} modules)`, list, await timeDispatches(ctx.device, list, ctx.quick ? 2 : 5));
      } finally {
        s.dispose();
      }
    }
    return rows;
  },
};
