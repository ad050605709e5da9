/**
 * What the user gets: a whole run of the default task through the run loop (the page's and `lab
 * train`'s path: per-step inputs, log-step readbacks, an eval pass every logEvery steps, each run's
 * trained tensors read back at its end), against the training step alone (the same trainer, unlogged
 * steps, one readback at the end). Two rows:
 *   - run end to end vs step alone: the whole run's steps/s over the bare step's (target >= 0.7);
 *     the start-up (trainer build, first step) and the eval passes' shares are logged beside it.
 *   - readbacks in flight vs awaited: the same run with up to two logged readbacks in flight while
 *     the loop goes on against awaiting every readback before the next step (what the page does on a
 *     software adapter, inFlightFor in src/engine/runLoop.ts).
 * The run is the default config with fewer steps (a software adapter runs about 15 steps/s).
 */
import { DEFAULT_CONFIG, type RunConfig } from '../src/config/schema';
import { inFlightFor, RunLoop, type RunSink } from '../src/engine/runLoop';
import { buildSetup, hyperAt, stepInputs } from '../src/engine/setup';
import { Trainer } from '../src/engine/trainer';
import { buildTask } from '../src/tasks/toy';
import { plan, row, timeReps } from './timing';
import { CheckFailed, type BenchContext, type Measurement, type Row } from './types';

const sink = (states: string[]): RunSink => ({ metrics() {}, status: (_, s) => void states.push(s.state), weights() {} });

async function wholeRun(ctx: BenchContext, cfg: RunConfig, maxInFlight?: number): Promise<number> {
  const task = buildTask(cfg);
  const states: string[] = [];
  const t0 = performance.now();
  const loop = new RunLoop(ctx.device, [{ runId: 'bench', config: cfg }], task, sink(states), {}, maxInFlight);
  await loop.runToEnd();
  await loop.postWeights();
  loop.destroy();
  const ms = performance.now() - t0;
  const end = states.at(-1);
  if (end !== 'done' && end !== 'collapsed') throw new CheckFailed(`run: the default run ended ${end}`);
  return ms;
}

async function measure(ctx: BenchContext): Promise<Row[]> {
  const cfg: RunConfig = { ...DEFAULT_CONFIG, steps: ctx.quick ? 60 : 150 };
  const task = buildTask(cfg);
  // the step alone: same trainer, unlogged steps, one logged (no eval) at the end of a repetition.
  // Its first build and step compile whatever pipelines are new to this page (the cold start); a
  // second trainer's build and first step is the start-up a run pays once pipelines are cached.
  const c0 = performance.now();
  const cold = new Trainer(ctx.device, buildSetup(cfg, task));
  await cold.step({ t: 1, hypers: [hyperAt(cfg, 1)], x: stepInputs(cfg, task, 1) }, true);
  const coldMs = performance.now() - c0;
  cold.destroy();
  const b0 = performance.now();
  const tr = new Trainer(ctx.device, buildSetup(cfg, task));
  let t = 0;
  const stepRep = async (iters: number) => {
    for (let i = 1; i <= iters; i++) {
      t++;
      await tr.step({ t, hypers: [hyperAt(cfg, (t % cfg.steps) + 1)], x: stepInputs(cfg, task, (t % 64) + 1) }, i === iters, false);
    }
  };
  await stepRep(1);
  const startMs = performance.now() - b0;
  const p = plan(ctx);
  const step = await timeReps(stepRep, p);
  // one eval pass alone (what each logged step adds)
  const e0 = performance.now();
  for (let i = 0; i < 5; i++) await tr.step({ t: ++t, hypers: [hyperAt(cfg, 1)], x: stepInputs(cfg, task, 1) }, true, true);
  const logEvalMs = (performance.now() - e0) / 5 - step.medianMs;
  tr.destroy();

  await wholeRun(ctx, { ...cfg, steps: 10 }); // warm: pipelines of the run's shapes
  const reps = { reps: ctx.quick ? 1 : 3, minRepMs: 0 };
  const piped = await timeReps(async (n) => {
    for (let i = 0; i < n; i++) await wholeRun(ctx, cfg, 2);
  }, reps);
  const awaited = await timeReps(async (n) => {
    for (let i = 0; i < n; i++) await wholeRun(ctx, cfg, 0);
  }, reps);
  // the first row times what the page does on this adapter (inFlightFor)
  const fallback = Boolean((ctx.device as unknown as { adapterInfo?: { isFallbackAdapter?: boolean } }).adapterInfo?.isFallbackAdapter);
  const page = inFlightFor({ isFallbackAdapter: fallback }) === 0 ? awaited : piped;
  const runSps = (cfg.steps * 1000) / page.medianMs;
  const stepSps = 1000 / step.medianMs;
  const logs = Math.floor(cfg.steps / cfg.logEvery) + 1;
  ctx.log(`  step alone ${stepSps.toFixed(1)} steps/s; whole run ${runSps.toFixed(1)} steps/s (${(page.medianMs / 1000).toFixed(2)} s for ${cfg.steps} steps) = ${((100 * runSps) / stepSps).toFixed(0)}% of the step's rate`);
  ctx.log(`  cold start (pipelines compiled): ${coldMs.toFixed(0)} ms; shares of the whole run: trainer build + first step ${((100 * startMs) / page.medianMs).toFixed(0)}% (${startMs.toFixed(0)} ms), ${logs} logged steps with eval ~${((100 * logs * Math.max(0, logEvalMs)) / page.medianMs).toFixed(0)}% (${Math.max(0, logEvalMs).toFixed(1)} ms each)`);
  ctx.log(`  readbacks in flight: ${(piped.medianMs / 1000).toFixed(2)} s; awaited one by one: ${(awaited.medianMs / 1000).toFixed(2)} s`);
  const shape = `default task, ${cfg.steps} steps, eval every ${cfg.logEvery}`;
  return [
    row('run end to end vs step alone', shape, 'steps/s', cfg.steps, page, { ...step, medianMs: step.medianMs * cfg.steps, minMs: step.minMs * cfg.steps }, `ours: RunLoop as the page runs it here (${page === awaited ? 'readbacks awaited: software adapter' : '2 readbacks in flight'}), logs, eval passes, weights at the end; peer = Trainer.step alone, unlogged`),
    row('run: readbacks in flight vs awaited', shape, 'steps/s', cfg.steps, piped, awaited, 'ours: up to 2 logged readbacks in flight; peer = await each before the next step'),
  ];
}

export const runBench: Measurement = {
  name: 'run',
  async run(ctx) {
    ctx.log('run');
    return measure(ctx);
  },
};
