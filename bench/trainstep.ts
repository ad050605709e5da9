/**
 * Training-step throughput on the default task (n 128, L 2, dIn 32, dOut 10, batch 64, GELU tanh, MSE
 * against the GPU teacher, clip 1, AdamW): our Trainer (one run, one submit per step) against the same model
 * and step written with TensorFlow.js ops (bench/tfjsModel.ts), LoRA r 8 and full fine-tuning, in
 * steps per second. Both start from the same TrainSetup (base, teacher, LoRA init) and see the same
 * inputs; before timing, the first CHECK_STEPS losses of both are compared with the CPU float64
 * reference trainer (src/ref/trainer.ts), which checks the gradients, clipping and AdamW, not just the
 * forward pass.
 * The learning rate is the default peak, held constant (a warmup would make step 1 a no-op update).
 * A repetition ends with one logged step (ours; no eval pass) or one loss readback (tfjs): the sync.
 */
import { DEFAULT_CONFIG, type RunConfig } from '../src/config/schema';
import { buildSetup, hyperAt, stepInputs } from '../src/engine/setup';
import { Trainer } from '../src/engine/trainer';
import { CpuTrainer } from '../src/ref/trainer';
import { buildTask } from '../src/tasks/toy';
import { tfWebgpu } from './tfjs';
import { TfTrainer } from './tfjsModel';
import { plan, row, timeReps, type RepPlan } from './timing';
import { CheckFailed, type BenchContext, type Measurement, type Row } from './types';

const CHECK_STEPS = 6;
/** Distinct input batches, cycled while timing (drawing fresh ones would time the host RNG). */
const INPUTS = 16;
/** Loss agreement with the float64 reference: f32 forward and a few f32 AdamW steps. */
const RTOL = 1e-3;

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-6, Math.abs(b));

async function measureMode(ctx: BenchContext, mode: RunConfig['mode'], p: RepPlan): Promise<Row> {
  const { device } = ctx;
  const cfg: RunConfig = { ...DEFAULT_CONFIG, mode, accum: 1 };
  const task = buildTask(cfg);
  const setup = buildSetup(cfg, task);
  const inputs = Array.from({ length: INPUTS }, (_, i) => stepInputs(cfg, task, i + 1)[0]);
  const lr = cfg.lr;
  // the default peak lr held constant (see the header), the config's weight decay, LoRA+ ratio and clip
  const hypers = [{ ...hyperAt(cfg, 1), lr }];
  const label = `${mode} n${cfg.width} L${cfg.layers} ${cfg.dIn}->${cfg.dOut} B${cfg.batch}` + (mode === 'lora' ? ` r${cfg.r}` : '');

  const ours = new Trainer(device, setup);
  const tf = await tfWebgpu();
  const peer = new TfTrainer(tf, setup, hypers[0]);
  try {
    const ref = new CpuTrainer(setup);
    const rows: string[] = [];
    for (let t = 1; t <= CHECK_STEPS; t++) {
      const x = inputs[(t - 1) % INPUTS];
      const want = ref.step({ t, hypers, x: [x] }).loss;
      const o = (await ours.step({ t, hypers, x: [x] }, true, false))![0].loss;
      const lt = peer.step(x, t, lr);
      const q = (await lt.data())[0];
      lt.dispose();
      rows.push(`step ${t}: ref ${want.toPrecision(7)} ours ${o.toPrecision(7)} tfjs ${q.toPrecision(7)}`);
      if (!(relErr(o, want) <= RTOL) || !(relErr(q, want) <= RTOL) || !(relErr(q, o) <= RTOL))
        throw new CheckFailed(`trainstep ${label}: losses disagree beyond rtol ${RTOL}\n  ${rows.join('\n  ')}`);
    }
    ctx.log(`  ${label}: losses agree with the float64 reference for ${CHECK_STEPS} steps (${rows[0]}; ${rows[CHECK_STEPS - 1]})`);

    let tOurs = CHECK_STEPS;
    const oursRep = async (iters: number) => {
      for (let i = 1; i < iters; i++) {
        tOurs++;
        await ours.step({ t: tOurs, hypers, x: [inputs[tOurs % INPUTS]] }, false);
      }
      tOurs++;
      const log = (await ours.step({ t: tOurs, hypers, x: [inputs[tOurs % INPUTS]] }, true, false))![0];
      if (!Number.isFinite(log.loss)) throw new CheckFailed(`trainstep ours ${label}: loss ${log.loss} at step ${tOurs}`);
    };
    let tPeer = CHECK_STEPS;
    const peerRep = async (iters: number) => {
      for (let i = 1; i < iters; i++) {
        tPeer++;
        peer.step(inputs[tPeer % INPUTS], tPeer, lr).dispose();
      }
      tPeer++;
      const lt = peer.step(inputs[tPeer % INPUTS], tPeer, lr);
      const loss = (await lt.data())[0];
      lt.dispose();
      if (!Number.isFinite(loss)) throw new CheckFailed(`trainstep tfjs ${label}: loss ${loss} at step ${tPeer}`);
    };
    await oursRep(2); // warm: pipelines, staging ring
    const o = await timeReps(oursRep, p);
    ctx.log(`  ours ${label}: ${(1000 / o.medianMs).toFixed(1)} steps/s (${o.iters} steps per rep)`);
    await peerRep(2); // warm: tfjs compiles its shaders on first use
    const q = await timeReps(peerRep, p);
    ctx.log(`  tfjs ${label}: ${(1000 / q.medianMs).toFixed(1)} steps/s (${q.iters} steps per rep)`);
    return row(`train step (${mode}) vs tfjs`, label, 'steps/s', 1, o, q, 'peer = same model+MSE+clip+AdamW in tfjs ops (variableGrads), tfjs-backend-webgpu');
  } finally {
    ours.destroy();
    peer.dispose();
  }
}

export const trainstepBench: Measurement = {
  name: 'trainstep',
  async run(ctx) {
    const rows: Row[] = [];
    for (const mode of ['lora', 'fft'] as const) {
      ctx.log(`trainstep ${mode}`);
      try {
        rows.push(await measureMode(ctx, mode, plan(ctx)));
      } catch (e) {
        ctx.fail(e); // a failed check skips this mode's timings, not the other mode
      }
    }
    return rows;
  },
};
