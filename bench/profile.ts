/**
 * Where a training step's GPU time goes, per kernel family (the pipeline's shader: matmul, adamw,
 * activation, ...), from timestamp queries: each dispatch of one step runs in its own compute pass with
 * begin/end timestamps (the pass boundaries add a little to every dispatch, so the shares are what to
 * read, more than the sums). Printed for the default single run and a 16-run sweep group, training step
 * and eval pass. Adapters without 'timestamp-query' get a line saying so. No table rows: a profile has
 * no peer.
 */
import { DEFAULT_CONFIG, type RunConfig } from '../src/config/schema';
import type { Dispatch } from '../src/gpu/dispatch';
import { buildBatchedSetup } from '../src/engine/group';
import { buildSetup, hyperAt, stepInputs } from '../src/engine/setup';
import { Trainer } from '../src/engine/trainer';
import { buildTask } from '../src/tasks/toy';
import type { BenchContext, Measurement, Row } from './types';

/** GPU nanoseconds of each dispatch, summed over `reps` submits. */
export async function timeDispatches(device: GPUDevice, list: Dispatch[], reps: number): Promise<number[]> {
  const live = list.filter((d) => d.workgroups.every((g) => g > 0));
  const n = live.length;
  const qs = device.createQuerySet({ type: 'timestamp', count: 2 * n });
  const resolve = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const total = new Array<number>(n).fill(0);
  for (let r = 0; r < reps; r++) {
    const enc = device.createCommandEncoder({ label: 'profile' });
    live.forEach((d, i) => {
      const pass = enc.beginComputePass({ label: d.label, timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(...d.workgroups);
      pass.end();
    });
    enc.resolveQuerySet(qs, 0, 2 * n, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const t = new BigInt64Array(read.getMappedRange().slice(0));
    read.unmap();
    for (let i = 0; i < n; i++) total[i] += Number(t[2 * i + 1] - t[2 * i]);
  }
  qs.destroy();
  resolve.destroy();
  read.destroy();
  return total.map((x) => x / reps);
}

export function familyTable(ctx: BenchContext, title: string, list: Dispatch[], ns: number[]): void {
  const live = list.filter((d) => d.workgroups.every((g) => g > 0));
  const by = new Map<string, { ns: number; count: number }>();
  live.forEach((d, i) => {
    const family = d.pipeline.label.split(':')[0];
    const e = by.get(family) ?? { ns: 0, count: 0 };
    e.ns += ns[i];
    e.count++;
    by.set(family, e);
  });
  const sum = [...by.values()].reduce((a, e) => a + e.ns, 0);
  const flops = matmulFlops(live);
  const mmNs = live.reduce((a, d, i) => a + (d.flops ? ns[i] : 0), 0);
  ctx.log(`  ${title}: ${(sum / 1e6).toFixed(2)} ms of GPU time in ${live.length} dispatches; matmuls ${(flops / 1e6).toFixed(1)} MFLOP at ${(flops / mmNs).toFixed(2)} GFLOP/s`);
  for (const [family, e] of [...by].sort((a, b) => b[1].ns - a[1].ns))
    ctx.log(`    ${family.padEnd(16)} ${((100 * e.ns) / sum).toFixed(1).padStart(5)}%  ${(e.ns / 1e6).toFixed(2).padStart(8)} ms  (${e.count} dispatches)`);
  const top = live.map((d, i) => ({ d, ns: ns[i] })).sort((a, b) => b.ns - a.ns).slice(0, 4);
  ctx.log(`    slowest: ${top.map((x) => `${x.d.label} ${(x.ns / 1e6).toFixed(1)} ms [${x.d.workgroups.join('x')} wg]`).join('; ')}`);
}

const matmulFlops = (list: Dispatch[]) => list.reduce((a, d) => a + (d.flops ?? 0), 0);

/**
 * The matmul work of a training step and an eval pass of the group against the same runs trained alone
 * (one Trainer each): what batching saves in arithmetic (the teacher's forward and the frozen layers
 * before the first adapted one run once per group) and what it adds (every run padded to the group's
 * largest rank). On an adapter that is bound by arithmetic (a software one) this ratio bounds the
 * sweep's speed-up apart from per-dispatch and per-submit costs.
 */
function flopRows(ctx: BenchContext, group: Trainer, cfgs: RunConfig[], task: ReturnType<typeof buildTask>): Row[] {
  const g = group.dispatchLists();
  let step = 0;
  let evalPass = 0;
  for (const c of cfgs) {
    const alone = new Trainer(ctx.device, buildSetup(c, task));
    const l = alone.dispatchLists();
    step += matmulFlops(l.step);
    evalPass += matmulFlops(l.eval);
    alone.destroy();
  }
  const shape = `${cfgs.length} runs, n${cfgs[0].width} B${cfgs[0].batch} r ${[...new Set(cfgs.map((c) => c.r))].join(',')}`;
  const rowOf = (what: string, alone: number, batched: number): Row => ({
    name: `sweep ${what} arithmetic: alone / batched`,
    shape,
    ours: alone / 1e6,
    oursBest: null,
    peer: batched / 1e6,
    peerBest: null,
    ratio: alone / batched,
    unit: 'MFLOP',
    note: `ours = the runs alone (summed), peer = one batched group: matmul FLOPs per ${what}`,
  });
  ctx.log(`  arithmetic per training step: ${(step / 1e6).toFixed(1)} MFLOP alone vs ${(matmulFlops(g.step) / 1e6).toFixed(1)} batched; per eval pass ${(evalPass / 1e6).toFixed(1)} vs ${(matmulFlops(g.eval) / 1e6).toFixed(1)}`);
  return [rowOf('training step', step, matmulFlops(g.step)), rowOf('eval pass', evalPass, matmulFlops(g.eval))];
}

async function profileTrainer(ctx: BenchContext, title: string, tr: Trainer, cfgs: RunConfig[], task: ReturnType<typeof buildTask>): Promise<void> {
  // two warm steps: pipelines built, buffers written
  for (let t = 1; t <= 2; t++) await tr.step({ t, hypers: cfgs.map((c) => hyperAt(c, t)), x: stepInputs(cfgs[0], task, t) }, true);
  const { step, eval: evalPass } = tr.dispatchLists();
  const reps = ctx.quick ? 2 : 5;
  familyTable(ctx, `${title}, training step`, step, await timeDispatches(ctx.device, step, reps));
  if (evalPass.length) familyTable(ctx, `${title}, eval pass`, evalPass, await timeDispatches(ctx.device, evalPass, reps));
}

export const profileBench: Measurement = {
  name: 'profile',
  async run(ctx) {
    ctx.log('profile (GPU time per kernel family, timestamp queries)');
    if (!ctx.device.features.has('timestamp-query')) {
      ctx.log('  this adapter has no timestamp-query: no profile');
      return [];
    }
    const cfg: RunConfig = { ...DEFAULT_CONFIG };
    const task = buildTask(cfg);
    const one = new Trainer(ctx.device, buildSetup(cfg, task));
    await profileTrainer(ctx, `default run (n${cfg.width} L${cfg.layers} r${cfg.r} B${cfg.batch})`, one, [cfg], task);
    one.destroy();
    const cfgs = [1, 2, 4, 8].flatMap((r) => [-9, -8, -7, -6].map((l): RunConfig => ({ ...cfg, width: 64, r, lr: 2 ** l })));
    const sweepTask = buildTask(cfgs[0]);
    const { shared, runs } = buildBatchedSetup(cfgs, sweepTask);
    const group = new Trainer(ctx.device, shared, runs);
    await profileTrainer(ctx, '16-run sweep group (n64, r 1..8)', group, cfgs, sweepTask);
    const rows = flopRows(ctx, group, cfgs, sweepTask);
    group.destroy();
    return rows;
  },
};
