/**
 * The batched sweep trainer: R runs of one group (same task, data, batch, targets, optimizer kind)
 * trained together, one command encoder and one submit per step for all of them: every matmul batched
 * over runs, one fused optimizer dispatch over every run's parameters (per-run lr, clip coefficient),
 * per-run loss, gradient norm, clip coefficient and divergence watch, each one dispatch for all runs. Results equal training each run alone
 * (GpuTrainer) up to float rounding: same kernels, same data, per-run everything else.
 */
import { encodeDispatches, type Dispatch } from '../../gpu/dispatch';
import { createStorageBuffer, readF32 } from '../../gpu/buffers';
import { reduceStatsSegments, STATS } from '../../gpu/kernels/reduce';
import { mseLossSegments } from '../../gpu/kernels/mse';
import { clipCoef } from '../../gpu/kernels/clip';
import { createAdamW } from '../../gpu/kernels/adamw';
import { createSgd } from '../../gpu/kernels/sgd';
import { createWatch, type Watch } from '../../gpu/kernels/watch';
import { StagingRing } from '../../gpu/staging';
import { dropoutKey } from '../../ref/dropout';
import { sliceRef } from '../gpuState';
import { lossDispatches } from '../gpuLoss';
import type { KeyedDropout } from '../gpuPasses';
import { ALIGN, layerCount } from '../layout';
import type { StepLog, TrainSetup } from '../types';
import { batchedGroups, EVAL_BUFFER_BUDGET } from './layout';
import { batchedBackward, batchedForward, batchedPrefix, batchedTeacher, type SharedPrefix } from './passes';
import { allocateBatched, type BatchedRunInit, type BatchedState } from './state';

export interface BatchedStepInput {
  t: number;
  /** Learning rate of each run at this step. */
  lrs: number[];
  /** LoRA+ ratio of each run (B's lr = lr * ratio). */
  loraPlus: number[];
  x: Float32Array[];
}

export class BatchedTrainer {
  readonly st: BatchedState;
  private micro: { dispatches: Dispatch[]; dropouts: KeyedDropout[] }[] = [];
  private tail: Dispatch[] = [];
  private evalPass: Dispatch[] = [];
  private optimizer: { dispatch: Dispatch; setStep(t: number, hyper: { lr: number; weightDecay: number }[]): void };
  private watch: Watch;
  private groups: ReturnType<typeof batchedGroups>;
  private ring: StagingRing;
  private readonly R: number;
  private readonly slotFloats: number;

  constructor(
    readonly device: GPUDevice,
    /** Everything shared; spec.r is the padded rank, spec.scaling is unused (per-run alphas). */
    readonly setup: TrainSetup,
    runs: BatchedRunInit[],
    /** Bytes per eval activation buffer (tests shrink it; see evalChunkRows). */
    evalBudget = EVAL_BUFFER_BUDGET,
  ) {
    const R = (this.R = runs.length);
    const st = (this.st = allocateBatched(device, setup, runs, evalBudget));
    const { spec } = setup;
    const L = layerCount(spec);
    const dOut = spec.sizes[L];
    const B = setup.batch;
    const zLast = st.z[L - 1];
    // MSE: one segmented dispatch for all runs (one workgroup each); cross-entropy: per-run dispatches.
    const lossSet = (pred: GPUBuffer, predStride: number, rows: number, target: GPUBuffer, targetOff: number, labels: GPUBuffer, labelsOff: number, grad: GPUBuffer, out: GPUBuffer, slot: (i: number) => number, gradScale: number): Dispatch[] =>
      spec.loss === 'mse'
        ? [
            mseLossSegments(device, {
              segments: R,
              n: rows * dOut,
              segStride: predStride,
              pred,
              target: sliceRef(target, targetOff, rows * dOut),
              grad,
              out: sliceRef(out, slot(0), (R - 1) * (slot(1) - slot(0)) + 1),
              outStride: slot(1) - slot(0),
              scale: setup.lossScale,
              gradScale,
            }),
          ]
        : Array.from({ length: R }, (_, i) =>
        lossDispatches(device, setup, {
          rows,
          pred: sliceRef(pred, i * predStride, rows * dOut),
          target: sliceRef(target, targetOff, rows * dOut),
          labels: sliceRef(labels, labelsOff, rows),
          grad: sliceRef(grad, i * predStride, rows * dOut),
          out: sliceRef(out, slot(i), 2),
          gradScale,
        }),
      ).flat();

    for (let k = 0; k < setup.accum; k++) {
      const X = sliceRef(st.x, k * st.xStride, B * spec.sizes[0]);
      const list: Dispatch[] = [];
      if (setup.teacher) list.push(...batchedTeacher(device, st, setup, X, B, sliceRef(st.y, k * st.yStride, B * dOut), sliceRef(st.labels, k * st.yStride, B)));
      const fwd = batchedForward(device, st, setup, X, B, true);
      list.push(...fwd.dispatches);
      list.push(...lossSet(zLast.buf, zLast.stride, B, st.y, k * st.yStride, st.labels, k * st.yStride, st.gz[L - 1].buf, st.lossOut, (i) => (i * setup.accum + k) * ALIGN, 1 / setup.accum));
      const bwd = batchedBackward(device, st, setup, X, k > 0);
      list.push(...bwd.dispatches);
      this.micro.push({ dispatches: list, dropouts: [...fwd.dropouts, ...bwd.dropouts] });
    }

    const bs = st.layout.blockSize;
    this.groups = batchedGroups(st.layout);
    const o = setup.optim;
    const n = st.layout.total;
    this.optimizer =
      o.kind === 'adamw'
        ? createAdamW(device, n, this.groups, { params: st.params, grads: st.grads, m: st.m, v: st.v, clipCoef: st.clipCoefs }, o)
        : createSgd(device, n, this.groups, { params: st.params, grads: st.grads, momentum: st.m, clipCoef: st.clipCoefs }, { momentum: o.momentum });
    // every run's gradient statistics in one dispatch (a workgroup per run), then per-run clip and watch
    const stats = reduceStatsSegments(device, R, bs, bs, st.grads, st.stats, ALIGN);
    const clip = clipCoef(device, { sumsq: st.stats, coef: st.clipCoefs, maxNorm: o.clip, runs: R, stride: ALIGN });
    this.watch = createWatch(device, setup.accum, st.lossOut, st.stats, st.watch, setup.divergeBound, ALIGN, { runs: R, runStride: setup.accum * ALIGN, slotStride: ALIGN });
    this.tail = [stats, clip.dispatch, this.optimizer.dispatch, this.watch.dispatch];

    // eval: teacher targets per chunk once; at log steps a forward + per-run loss per chunk (into the
    // eval activations: the training ones when chunks are batch-sized, see evalChunkRows)
    const targets: Dispatch[] = [];
    st.evalChunks.forEach((c, ci) => {
      targets.push(...batchedTeacher(device, st, setup, c.x, c.rows, c.y, c.labels));
      // the eval set is fixed: what every run shares of its forward pass is computed once, here
      let pre: SharedPrefix | undefined;
      if (st.zBase) {
        const f = st.firstTrainable;
        const keep = (b: GPUBuffer | null) => (b && st.all.push(b), b);
        const input = f > 0 ? keep(createStorageBuffer(device, `sweep.eval${ci}.input`, c.rows * spec.sizes[f] * 4)) : null;
        const zBase = keep(createStorageBuffer(device, `sweep.eval${ci}.zBase`, c.rows * spec.sizes[f + 1] * 4))!;
        targets.push(...batchedPrefix(device, st, setup, c.x, c.rows, { input, zBase }));
        pre = { input: input ?? c.x, zBase };
      }
      const ev = st.evalActs;
      this.evalPass.push(...batchedForward(device, st, setup, c.x, c.rows, false, ev, pre).dispatches);
      this.evalPass.push(...lossSet(ev.z[L - 1].buf, ev.z[L - 1].stride, c.rows, c.y, 0, c.labels, 0, ev.gLast.buf, st.evalOut, (i) => (i * st.evalChunks.length + ci) * ALIGN, 1));
    });
    if (targets.length) this.submit(targets, 'sweep.eval.targets');
    this.slotFloats = R * setup.accum * ALIGN + R * ALIGN * 2 + R * Math.max(1, st.evalChunks.length) * ALIGN;
    this.ring = new StagingRing(device, this.slotFloats * 4, 3);
  }

  private submit(list: Dispatch[], label: string): void {
    const enc = this.device.createCommandEncoder({ label });
    const pass = enc.beginComputePass({ label });
    encodeDispatches(pass, list);
    pass.end();
    this.device.queue.submit([enc.finish()]);
  }

  /** One step of every run (one submit); with `log`, resolves to each run's logged scalars. */
  async step(input: BatchedStepInput, log: boolean, evaluate = log): Promise<StepLog[] | null> {
    const { device, st, setup, R } = this;
    for (let k = 0; k < setup.accum; k++) {
      device.queue.writeBuffer(st.x, k * st.xStride * 4, input.x[k]);
      for (const d of this.micro[k].dropouts) d.d.setKey(dropoutKey(setup.seed, input.t, k, d.layer));
    }
    this.optimizer.setStep(
      input.t,
      this.groups.map((g) => ({ lr: g.name === 'B' ? input.lrs[g.run] * input.loraPlus[g.run] : input.lrs[g.run], weightDecay: setup.optim.weightDecay })),
    );
    this.watch.setStep(input.t);
    const slot = log ? await this.ring.acquire() : null;
    const enc = device.createCommandEncoder({ label: `sweep step ${input.t}` });
    const pass = enc.beginComputePass({ label: `sweep step ${input.t}` });
    for (const m of this.micro) encodeDispatches(pass, m.dispatches);
    encodeDispatches(pass, this.tail);
    if (log && evaluate) encodeDispatches(pass, this.evalPass);
    pass.end();
    const lossBytes = R * setup.accum * ALIGN * 4;
    const statBytes = R * ALIGN * 4;
    if (slot) {
      enc.copyBufferToBuffer(st.lossOut, 0, slot.buffer, 0, lossBytes);
      enc.copyBufferToBuffer(st.stats, 0, slot.buffer, lossBytes, statBytes);
      enc.copyBufferToBuffer(st.watch, 0, slot.buffer, lossBytes + statBytes, statBytes);
      enc.copyBufferToBuffer(st.evalOut, 0, slot.buffer, lossBytes + 2 * statBytes, R * Math.max(1, st.evalChunks.length) * ALIGN * 4);
    }
    device.queue.submit([enc.finish()]);
    if (!slot) return null;
    const data = await this.ring.read(slot.index);
    return this.decode(input.t, data, evaluate && this.evalPass.length > 0);
  }

  private decode(t: number, data: Float32Array, hasEval: boolean): StepLog[] {
    const { setup, st, R } = this;
    const A = setup.accum;
    const statsAt = R * A * ALIGN;
    const watchAt = statsAt + R * ALIGN;
    const evalAt = watchAt + R * ALIGN;
    const chunks = st.evalChunks;
    const E = chunks.reduce((a, c) => a + c.rows, 0);
    const u32 = new Uint32Array(data.buffer);
    const ce = setup.spec.loss === 'ce';
    return Array.from({ length: R }, (_, i) => {
      let loss = 0;
      let acc = 0;
      for (let k = 0; k < A; k++) {
        loss += data[(i * A + k) * ALIGN];
        acc += data[(i * A + k) * ALIGN + 1];
      }
      const log: StepLog = { step: t, loss: loss / A, gradNorm: Math.sqrt(data[statsAt + i * ALIGN + STATS.sumsq]), divergedStep: u32[watchAt + i * ALIGN] };
      if (ce) log.accuracy = acc / A;
      if (hasEval) {
        // chunk means weighted by their rows = the mean over the whole eval set
        let el = 0;
        let ea = 0;
        chunks.forEach((c, ci) => {
          el += data[evalAt + (i * chunks.length + ci) * ALIGN] * c.rows;
          ea += data[evalAt + (i * chunks.length + ci) * ALIGN + 1] * c.rows;
        });
        log.evalLoss = el / E;
        if (ce) log.evalAccuracy = ea / E;
      }
      return log;
    });
  }

  /** Run i's trainable tensors (LoRA factors cut back to the run's own rank). */
  async readRun(i: number, r: number): Promise<Record<string, Float32Array>> {
    const lay = this.st.layout;
    return this.cutRun(await readF32(this.device, this.st.params, lay.blockSize, i * lay.blockSize), r);
  }

  /** Every run's trainable tensors (ranks[i] is run i's rank), from one readback of all the parameters. */
  async readRuns(ranks: number[]): Promise<Record<string, Float32Array>[]> {
    const bs = this.st.layout.blockSize;
    const all = await readF32(this.device, this.st.params, this.R * bs);
    return ranks.map((r, i) => this.cutRun(all.subarray(i * bs, (i + 1) * bs), r));
  }

  private cutRun(block: Float32Array, r: number): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const t of this.st.layout.block.tensors) {
      const full = block.slice(t.offset, t.offset + t.size);
      const [rows, cols] = t.shape;
      if (t.name[0] === 'A') out[t.name] = full.slice(0, r * cols);
      else if (t.name[0] === 'B') out[t.name] = Float32Array.from({ length: rows * r }, (_, j) => full[Math.floor(j / r) * cols + (j % r)]);
      else out[t.name] = full;
    }
    return out;
  }

  destroy(): void {
    this.ring.destroy();
    for (const b of this.st.all) b.destroy();
  }
}
