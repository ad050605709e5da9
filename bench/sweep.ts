/**
 * Sweep throughput: 16 LoRA runs (ranks 1, 2, 4, 8 x four learning rates) on a small variant of the
 * default task, trained batched (SweepRunner.run(true): one group, one submit per step for all 16) against
 * the same runs one after another (run(false): a one-run Trainer each), in adapter-steps per second
 * (16 runs x steps / seconds). Everything a sweep does is timed: per-step input upload, log-step
 * readbacks and eval passes, each run's trained tensors read back at its end. The task (base model,
 * sigma^2) is built once per runner before timing; it is the same work for both.
 * Check first: every run ends 'done' or 'collapsed', and each run's last logged loss agrees between
 * the two modes (the batched trainer equals each run alone up to float rounding).
 */
import { DEFAULT_CONFIG, type RunConfig } from '../src/config/schema';
import { SweepRunner, type SweepRun, type SweepSink } from '../src/engine/sweep';
import { plan, row, timeReps } from './timing';
import { CheckFailed, type BenchContext, type Measurement } from './types';

const RANKS = [1, 2, 4, 8];
const LRS = [2 ** -9, 2 ** -8, 2 ** -7, 2 ** -6];
/** Small enough that one sequential sweep takes seconds, not minutes, on a software adapter. */
const SMALL: Partial<RunConfig> = { width: 64, steps: 20 };
const QUICK: Partial<RunConfig> = { width: 64, steps: 10 };
/** f32 rounding differs between batched and single kernels (accumulation order); losses stay near 1. */
const RTOL = 1e-3;

/** What the check records; null while timing (the sink is then a no-op). */
interface Recorded {
  lastLoss: Map<string, number>;
  states: Map<string, string>;
}

function recordingSink(get: () => Recorded | null): SweepSink {
  return {
    metrics(runId, points) {
      const rec = get();
      if (rec && points.length) rec.lastLoss.set(runId, points[points.length - 1].loss);
    },
    status(runId, status) {
      get()?.states.set(runId, status.state);
    },
    weights() {},
    progress() {},
  };
}

function sweepRuns(over: Partial<RunConfig>): SweepRun[] {
  return RANKS.flatMap((r) => LRS.map((lr) => ({ runId: `r${r}-lr${Math.log2(lr)}`, config: { ...DEFAULT_CONFIG, ...over, mode: 'lora' as const, r, lr } })));
}

async function checkedRun(runner: SweepRunner, rec: { current: Recorded | null }, batched: boolean): Promise<Recorded> {
  const r: Recorded = { lastLoss: new Map(), states: new Map() };
  rec.current = r;
  const finished = await runner.run(batched);
  rec.current = null;
  if (!finished) throw new CheckFailed(`sweep (batched ${batched}) did not finish`);
  const bad = [...r.states].filter(([, s]) => s !== 'done' && s !== 'collapsed');
  if (bad.length) throw new CheckFailed(`sweep (batched ${batched}): runs ended ${bad.map(([id, s]) => `${id} ${s}`).join(', ')}`);
  return r;
}

async function measure(ctx: BenchContext): Promise<ReturnType<typeof row>> {
  const over = ctx.quick ? QUICK : SMALL;
  const runs = sweepRuns(over);
  const shape = `${runs.length} runs (r ${RANKS.join(',')} x ${LRS.length} lr), n${over.width} L${DEFAULT_CONFIG.layers} B${DEFAULT_CONFIG.batch}, ${over.steps} steps`;
  return compare(ctx, runs, over.steps!, shape, 'sweep batched vs sequential');
}

/** Check, then time, the same sweep batched and one run after another. */
export async function compare(ctx: BenchContext, runs: SweepRun[], steps: number, shape: string, name: string): Promise<ReturnType<typeof row>> {
  const batchedRec = { current: null as Recorded | null };
  const seqRec = { current: null as Recorded | null };
  const batched = new SweepRunner(ctx.device, runs, recordingSink(() => batchedRec.current));
  const sequential = new SweepRunner(ctx.device, runs, recordingSink(() => seqRec.current));

  // Warm-up runs double as the check (they also build each runner's task and compile pipelines).
  const b = await checkedRun(batched, batchedRec, true);
  const s = await checkedRun(sequential, seqRec, false);
  const worst = Math.max(...runs.map(({ runId }) => Math.abs(b.lastLoss.get(runId)! - s.lastLoss.get(runId)!) / Math.abs(s.lastLoss.get(runId)!)));
  if (!(worst <= RTOL)) throw new CheckFailed(`sweep: batched and sequential final losses differ by ${worst} relative (rtol ${RTOL})`);
  ctx.log(`  sweep check ok: final losses agree to ${worst.toExponential(1)} relative`);

  // On a software adapter one sweep outlasts a repetition's minimum: a repetition is then one sweep.
  const p = plan(ctx);
  const time = async (runner: SweepRunner, batchedMode: boolean) =>
    timeReps(async (iters) => {
      for (let i = 0; i < iters; i++) if (!(await runner.run(batchedMode))) throw new CheckFailed('sweep did not finish');
    }, p);
  const o = await time(batched, true);
  ctx.log(`  batched: ${((runs.length * steps) / (o.medianMs / 1000)).toFixed(0)} adapter-steps/s (${(o.medianMs / 1000).toFixed(2)} s per sweep)`);
  const q = await time(sequential, false);
  ctx.log(`  sequential: ${((runs.length * steps) / (q.medianMs / 1000)).toFixed(0)} adapter-steps/s (${(q.medianMs / 1000).toFixed(2)} s per sweep)`);
  return row(name, shape, 'adapter-steps/s', runs.length * steps, o, q, 'ours: SweepRunner.run(true); peer = run(false), the same runs one after another');
}

export const sweepBench: Measurement = {
  name: 'sweep',
  async run(ctx) {
    ctx.log('sweep');
    return [await measure(ctx)];
  },
};
