/**
 * The trainer: R runs of one group (same task, data, batch, targets, optimizer kind; R = 1 is a single
 * run) trained together, one command encoder and one submit per step for all of them: every matmul
 * batched over runs, one fused optimizer dispatch over every run's parameters, per-run loss, gradient
 * norm, clip coefficient and divergence watch, each one dispatch for all runs. The per-run
 * hyperparameters (learning rate, weight decay, LoRA+ ratio, clipping threshold) are written before
 * every submit, so a live change applies from the next step. Scalars are copied into a staging slot
 * only at logging steps. Same math as src/ref/trainer.ts (the CPU reference), which the tests compare
 * it with.
 */
import { encodeDispatches, type Dispatch } from '../gpu/dispatch';
import { createStorageBuffer, readF32 } from '../gpu/buffers';
import { STATS } from '../gpu/kernels/reduce';
import { mseLossSegments } from '../gpu/kernels/mse';
import { crossEntropyLoss } from '../gpu/kernels/cross_entropy';
import { StagingRing } from '../gpu/staging';
import { dropoutKey } from '../ref/dropout';
import { ALIGN, layerCount } from './layout';
import type { StepInput, StepLog, TrainSetup } from './types';
import { cutBlock, EVAL_BUFFER_BUDGET } from './runLayout';
import { StepTail } from './stepTail';
import { sharedPrefix, studentBackward, studentForward, teacherForward, type KeyedDropout, type SharedPrefix } from './passes';
import { allocateBatched, type BatchedRunInit, type BatchedState } from './state';

const ref = (buffer: GPUBuffer, offsetElems: number, sizeElems: number): GPUBufferBinding => ({ buffer, offset: offsetElems * 4, size: Math.max(4, sizeElems * 4) });

/**
 * Where each logged quantity sits in a staging slot, in f32 elements: the copy side (step) and the read
 * side (decode) both use this table. Every region is R (or R x accum, R x eval chunks) slots of ALIGN.
 */
export function stagingLayout(runs: number, accum: number, evalChunks: number) {
  const loss = 0; // (run, micro) slots: [loss, accuracy]
  const stats = loss + runs * accum * ALIGN; // run slots: [sumsq, nonfinite, sum]
  const watch = stats + runs * ALIGN; // run slots: u32 first diverged step
  const evalOut = watch + runs * ALIGN; // (run, chunk) slots: [loss, accuracy]
  const floats = evalOut + runs * Math.max(1, evalChunks) * ALIGN;
  return { loss, stats, watch, evalOut, floats };
}

/** Copy a step's logged quantities into a staging slot, at the places stagingLayout gives them. */
export function copyToSlot(enc: GPUCommandEncoder, b: { lossOut: GPUBuffer; stats: GPUBuffer; watch: GPUBuffer; evalOut: GPUBuffer }, s: ReturnType<typeof stagingLayout>, slot: GPUBuffer): void {
  const bytes = (from: number, to: number) => (to - from) * 4;
  enc.copyBufferToBuffer(b.lossOut, 0, slot, s.loss * 4, bytes(s.loss, s.stats));
  enc.copyBufferToBuffer(b.stats, 0, slot, s.stats * 4, bytes(s.stats, s.watch));
  enc.copyBufferToBuffer(b.watch, 0, slot, s.watch * 4, bytes(s.watch, s.evalOut));
  enc.copyBufferToBuffer(b.evalOut, 0, slot, s.evalOut * 4, bytes(s.evalOut, s.floats));
}

/** The single-run setup's initial factors, as one run of a group. */
export function singleRun(setup: TrainSetup): BatchedRunInit[] {
  return [{ r: setup.spec.r, scaling: setup.spec.scaling, loraA: setup.loraA, loraB: setup.loraB }];
}

export class Trainer {
  readonly st: BatchedState;
  readonly runs: number;
  private micro: { dispatches: Dispatch[]; dropouts: KeyedDropout[] }[] = [];
  private tail: StepTail;
  /** The eval pass, one dispatch list per eval chunk (they share the eval activations). */
  private evalChunks: Dispatch[][] = [];
  private ring: StagingRing;
  private readonly slot: ReturnType<typeof stagingLayout>;

  constructor(
    readonly device: GPUDevice,
    /** Everything shared; spec.r is the group's largest rank, spec.scaling is unused (per-run alphas). */
    readonly setup: TrainSetup,
    /** Each run's rank, scaling and initial factors (default: the setup's own, one run). */
    runs: BatchedRunInit[] = singleRun(setup),
    /** Bytes per eval activation buffer (tests shrink it; see evalChunkRows). */
    evalBudget = EVAL_BUFFER_BUDGET,
  ) {
    const R = (this.runs = runs.length);
    const st = (this.st = allocateBatched(device, setup, runs, evalBudget));
    const { spec } = setup;
    const L = layerCount(spec);
    const dOut = spec.sizes[L];
    const batch = setup.batch;
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
              target: ref(target, targetOff, rows * dOut),
              grad,
              out: ref(out, slot(0), (R - 1) * (slot(1) - slot(0)) + 1),
              outStride: slot(1) - slot(0),
              scale: setup.lossScale,
              gradScale,
            }),
          ]
        : Array.from({ length: R }, (_, i) =>
            crossEntropyLoss(device, {
              rows,
              classes: dOut,
              logits: ref(pred, i * predStride, rows * dOut),
              labels: ref(labels, labelsOff, rows),
              grad: ref(grad, i * predStride, rows * dOut),
              out: ref(out, slot(i), 2),
              gradScale,
            }).dispatches,
          ).flat();

    for (let k = 0; k < setup.accum; k++) {
      const X = ref(st.x, k * st.xStride, batch * spec.sizes[0]);
      const list: Dispatch[] = [];
      if (setup.teacher) list.push(...teacherForward(device, st, setup, X, batch, ref(st.y, k * st.yStride, batch * dOut), ref(st.labels, k * st.yStride, batch)));
      const fwd = studentForward(device, st, setup, X, batch, true);
      list.push(...fwd.dispatches);
      list.push(...lossSet(zLast.buf, zLast.stride, batch, st.y, k * st.yStride, st.labels, k * st.yStride, st.gz[L - 1].buf, st.lossOut, (i) => (i * setup.accum + k) * ALIGN, 1 / setup.accum));
      const bwd = studentBackward(device, st, setup, X, k > 0);
      list.push(...bwd.dispatches);
      this.micro.push({ dispatches: list, dropouts: [...fwd.dropouts, ...bwd.dropouts] });
    }

    this.tail = new StepTail(device, st.layout, st, setup);

    // eval: teacher targets per chunk once; at log steps a forward + per-run loss per chunk (into the
    // eval activations: the training ones when chunks are batch-sized, see evalChunkRows)
    const targets: Dispatch[] = [];
    st.evalChunks.forEach((c, ci) => {
      if (setup.teacher) targets.push(...teacherForward(device, st, setup, c.x, c.rows, c.y, c.labels));
      // the eval set is fixed: what every run shares of its forward pass is computed once, here
      let pre: SharedPrefix | undefined;
      if (st.zBase) {
        const f = st.firstTrainable;
        const keep = (b: GPUBuffer | null) => (b && st.all.push(b), b);
        const input = f > 0 ? keep(createStorageBuffer(device, `eval${ci}.input`, c.rows * spec.sizes[f] * 4)) : null;
        const zBase = keep(createStorageBuffer(device, `eval${ci}.zBase`, c.rows * spec.sizes[f + 1] * 4))!;
        targets.push(...sharedPrefix(device, st, setup, c.x, c.rows, { input, zBase }));
        pre = { input: input ?? c.x, zBase };
      }
      const ev = st.evalActs;
      this.evalChunks.push([
        ...studentForward(device, st, setup, c.x, c.rows, false, ev, pre).dispatches,
        ...lossSet(ev.z[L - 1].buf, ev.z[L - 1].stride, c.rows, c.y, 0, c.labels, 0, ev.gLast.buf, st.evalOut, (i) => (i * st.evalChunks.length + ci) * ALIGN, 1),
      ]);
    });
    if (targets.length) this.submitList(targets, 'eval.targets');
    this.slot = stagingLayout(R, setup.accum, st.evalChunks.length);
    this.ring = new StagingRing(device, this.slot.floats * 4, 3);
  }

  private submitList(list: Dispatch[], label: string): void {
    const enc = this.device.createCommandEncoder({ label });
    const pass = enc.beginComputePass({ label });
    encodeDispatches(pass, list);
    pass.end();
    this.device.queue.submit([enc.finish()]);
  }

  /** Write the per-run hyperparameter table for step t: every optimizer group's lr and wd, every clip. */
  private setHypers(input: StepInput): void {
    if (input.hypers.length !== this.runs) throw new Error(`trainer: ${input.hypers.length} hyperparameter sets for ${this.runs} runs`);
    this.tail.setStep(input.t, input.hypers);
  }

  /**
   * One step of every run (one submit). With `log`, the step's scalars are copied to a staging slot and
   * the returned `logs` resolves to each run's log once the GPU reaches this step. The caller may submit
   * further steps before awaiting it: the GPU keeps running while the read is in flight, and this only
   * waits when every staging slot holds a read not yet resolved.
   */
  async submit(input: StepInput, log: boolean, evaluate = log): Promise<{ logs: Promise<StepLog[]> } | null> {
    const { device, st, setup } = this;
    const { spec } = setup;
    const slot = log ? await this.ring.acquire() : null;
    for (let k = 0; k < setup.accum; k++) {
      device.queue.writeBuffer(st.x, k * st.xStride * 4, input.x[k]);
      const t = input.targets?.[k];
      if (t) device.queue.writeBuffer(spec.loss === 'ce' ? st.labels : st.y, k * st.yStride * 4, t);
      for (const d of this.micro[k].dropouts) d.d.setKey(dropoutKey(setup.seed, input.t, k, d.layer));
    }
    this.setHypers(input);
    const enc = device.createCommandEncoder({ label: `step ${input.t}` });
    const pass = enc.beginComputePass({ label: `step ${input.t}` });
    for (const m of this.micro) encodeDispatches(pass, m.dispatches);
    encodeDispatches(pass, this.tail.dispatches);
    if (log && evaluate) for (const c of this.evalChunks) encodeDispatches(pass, c);
    pass.end();
    if (slot) copyToSlot(enc, st, this.slot, slot.buffer);
    device.queue.submit([enc.finish()]);
    if (!slot) return null;
    const hasEval = evaluate && this.evalChunks.length > 0;
    return { logs: this.ring.read(slot.index).then((data) => this.decode(input.t, data, hasEval)) };
  }

  /** submit() and wait for the step's logs (tests, calibration, the benchmark). */
  async step(input: StepInput, log: boolean, evaluate = log): Promise<StepLog[] | null> {
    const sub = await this.submit(input, log, evaluate);
    return sub ? sub.logs : null;
  }

  /** One training step's dispatches in order (every micro-batch, then the tail), and the eval pass's: for profiles. */
  dispatchLists(): { step: Dispatch[]; eval: Dispatch[] } {
    return { step: [...this.micro.flatMap((m) => m.dispatches), ...this.tail.dispatches], eval: this.evalChunks.flat() };
  }

  /** Logged steps that can be in flight at once without submit() waiting for a slot. */
  get inFlightLimit(): number {
    return this.ring.size;
  }

  private decode(t: number, data: Float32Array, hasEval: boolean): StepLog[] {
    const { setup, st, runs: R } = this;
    const A = setup.accum;
    const s = this.slot;
    const chunks = st.evalChunks;
    const E = chunks.reduce((a, c) => a + c.rows, 0);
    const u32 = new Uint32Array(data.buffer);
    const ce = setup.spec.loss === 'ce';
    return Array.from({ length: R }, (_, i) => {
      let loss = 0;
      let acc = 0;
      for (let k = 0; k < A; k++) {
        loss += data[s.loss + (i * A + k) * ALIGN];
        acc += data[s.loss + (i * A + k) * ALIGN + 1];
      }
      const log: StepLog = { step: t, loss: loss / A, gradNorm: Math.sqrt(data[s.stats + i * ALIGN + STATS.sumsq]), divergedStep: u32[s.watch + i * ALIGN] };
      if (ce) log.accuracy = acc / A;
      if (hasEval) {
        // chunk means weighted by their rows = the mean over the whole eval set
        let el = 0;
        let ea = 0;
        chunks.forEach((c, ci) => {
          el += data[s.evalOut + (i * chunks.length + ci) * ALIGN] * c.rows;
          ea += data[s.evalOut + (i * chunks.length + ci) * ALIGN + 1] * c.rows;
        });
        log.evalLoss = el / E;
        if (ce) log.evalAccuracy = ea / E;
      }
      return log;
    });
  }

  /** Run the eval pass and read run `run`'s model outputs on the eval inputs (evalRows, dOut). */
  async evalOutputs(run = 0): Promise<Float32Array> {
    const { st, setup } = this;
    if (!st.evalChunks.length) throw new Error('no eval inputs');
    const L = layerCount(setup.spec);
    const dOut = setup.spec.sizes[L];
    const z = st.evalActs.z[L - 1];
    const out = new Float32Array(setup.evalRows * dOut);
    let row = 0;
    // chunks share the eval activations: run and read them one at a time
    for (const [ci, c] of st.evalChunks.entries()) {
      this.submitList(this.evalChunks[ci], 'eval.outputs');
      out.set(await readF32(this.device, z.buf, c.rows * dOut, run * z.stride), row * dOut);
      row += c.rows;
    }
    return out;
  }

  /** Run i's trainable tensors (LoRA factors cut back to its own rank r; default the group's rank). */
  async readRun(i = 0, r = this.setup.spec.r): Promise<Record<string, Float32Array>> {
    const lay = this.st.layout;
    return cutBlock(this.st.layout.block, await readF32(this.device, this.st.params, lay.blockSize, i * lay.blockSize), r);
  }

  /** Every run's trainable tensors (ranks[i] is run i's rank), from one readback of all the parameters. */
  async readRuns(ranks: number[]): Promise<Record<string, Float32Array>[]> {
    const bs = this.st.layout.blockSize;
    const all = await readF32(this.device, this.st.params, this.runs * bs);
    return ranks.map((r, i) => cutBlock(this.st.layout.block, all.subarray(i * bs, (i + 1) * bs), r));
  }

  /** Run i's flat parameter (or gradient) block, in the single-run layout (block.tensors offsets). */
  readBlock(which: 'params' | 'grads', i = 0): Promise<Float32Array> {
    const lay = this.st.layout;
    return readF32(this.device, which === 'params' ? this.st.params : this.st.grads, lay.block.total, i * lay.blockSize);
  }

  destroy(): void {
    this.ring.destroy();
    for (const b of this.st.all) b.destroy();
  }
}
