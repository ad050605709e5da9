/**
 * The GPU trainer: one run, its buffers allocated once, its dispatch lists and bind groups made once,
 * one command encoder and one queue.submit per training step. Scalars (loss, gradient statistics,
 * divergence step, eval loss) are copied into a staging ring only at logging steps and mapped
 * asynchronously: the GPU runs ahead while the host reads.
 * Same math as src/ref/trainer.ts (the CPU reference), which the tests compare it with.
 */
import { encodeDispatches, type Dispatch } from '../gpu/dispatch';
import { readF32 } from '../gpu/buffers';
import { reduceStats, STATS } from '../gpu/kernels/reduce';
import { clipCoef } from '../gpu/kernels/clip';
import { createAdamW } from '../gpu/kernels/adamw';
import { createSgd } from '../gpu/kernels/sgd';
import { createWatch, type Watch } from '../gpu/kernels/watch';
import { lossDispatches } from './gpuLoss';
import { StagingRing } from '../gpu/staging';
import { dropoutKey } from '../ref/dropout';
import { allocateState, sliceRef, type GpuState } from './gpuState';
import { studentBackward, studentForward, teacherForward, type KeyedDropout } from './gpuPasses';
import { groupHypers } from './groups';
import { layerCount, slot } from './layout';
import type { StepInput, StepLog, TrainSetup } from './types';

interface MicroStep {
  dispatches: Dispatch[];
  dropouts: KeyedDropout[];
}

export class GpuTrainer {
  readonly st: GpuState;
  private micro: MicroStep[] = [];
  private tail: Dispatch[] = [];
  private evalPass: Dispatch[] = [];
  private optimizer: { setStep(t: number, hyper: { lr: number; weightDecay: number }[]): void };
  private watch: Watch;
  private clip: { setMaxNorm(v: number): void };
  private ring: StagingRing;
  private readonly slotFloats: number;

  constructor(
    readonly device: GPUDevice,
    readonly setup: TrainSetup,
  ) {
    const st = (this.st = allocateState(device, setup, 'run'));
    const { spec } = setup;
    const L = layerCount(spec);
    const dOut = spec.sizes[L];
    const B = setup.batch;
    for (let k = 0; k < setup.accum; k++) {
      const X = sliceRef(st.x, k * st.xStride, B * spec.sizes[0]);
      const Y = sliceRef(st.y, k * st.yStride, B * dOut);
      const labels = sliceRef(st.labels, k * st.yStride, B);
      const list: Dispatch[] = [];
      if (setup.teacher) list.push(...teacherForward(device, setup, { W: st.teacherW, b: st.teacherB }, X, B, st.acts, Y, labels));
      const fwd = studentForward(device, st, setup, X, st.acts, true);
      list.push(...fwd.dispatches);
      list.push(
        ...lossDispatches(device, setup, {
          rows: B,
          pred: st.acts.z[L - 1],
          target: Y,
          labels,
          grad: st.grad.gz[L - 1],
          out: sliceRef(st.lossOut, k * st.lossStride, 2),
          gradScale: 1 / setup.accum,
        }),
      );
      const bwd = studentBackward(device, st, setup, X, k > 0);
      list.push(...bwd.dispatches);
      this.micro.push({ dispatches: list, dropouts: [...fwd.dropouts, ...bwd.dropouts].map((d) => ({ ...d })) });
    }
    const n = st.layout.total;
    const clip = clipCoef(device, { sumsq: st.stats, coef: st.clipCoef, maxNorm: setup.optim.clip });
    this.clip = clip;
    const o = setup.optim;
    const opt =
      o.kind === 'adamw'
        ? createAdamW(device, n, st.layout.groups, { params: st.params, grads: st.grads, m: st.m, v: st.v, clipCoef: st.clipCoef }, o)
        : createSgd(device, n, st.layout.groups, { params: st.params, grads: st.grads, momentum: st.m, clipCoef: st.clipCoef }, { momentum: o.momentum });
    this.optimizer = opt;
    this.watch = createWatch(device, setup.accum, st.lossOut, st.stats, st.watch, setup.divergeBound, st.lossStride);
    this.tail = [...reduceStats(device, n, st.grads, st.stats), clip.dispatch, opt.dispatch, this.watch.dispatch];

    if (st.evalActs && st.evalX) {
      // eval targets once, at creation; the eval pass itself runs at logging steps
      const E = setup.evalRows;
      const targets = teacherForward(device, setup, { W: st.teacherW, b: st.teacherB }, st.evalX, E, st.evalActs, st.evalY!, st.evalLabels!);
      const enc = device.createCommandEncoder({ label: 'eval.targets' });
      const pass = enc.beginComputePass({ label: 'eval.targets' });
      encodeDispatches(pass, targets);
      pass.end();
      device.queue.submit([enc.finish()]);
      this.evalPass = [
        ...studentForward(device, st, setup, st.evalX, st.evalActs, false).dispatches,
        ...lossDispatches(device, setup, { rows: E, pred: st.evalActs.z[L - 1], target: st.evalY!, labels: st.evalLabels!, grad: st.evalGrad!, out: st.evalOut, gradScale: 1 }),
      ];
    }
    // staging slot: [loss slots (accum x lossStride) | stats (4) | eval (2) | watch (1)], padded
    this.slotFloats = setup.accum * st.lossStride + 8;
    this.ring = new StagingRing(device, this.slotFloats * 4, 4);
  }

  /** Change the clipping threshold from the next step on (a live setting). */
  setClip(maxNorm: number): void {
    this.clip.setMaxNorm(maxNorm);
  }

  /**
   * Run one training step (one submit). With `log`, also runs the eval pass and returns a promise of
   * the step's logged scalars; the promise resolves once the GPU reaches this step (the only sync).
   */
  async step(input: StepInput, log: boolean, evaluate = log): Promise<StepLog | null> {
    const { device, st, setup } = this;
    const { spec } = setup;
    for (let k = 0; k < setup.accum; k++) {
      device.queue.writeBuffer(st.x, k * st.xStride * 4, input.x[k]);
      const t = input.targets?.[k];
      if (t) device.queue.writeBuffer(spec.loss === 'ce' ? st.labels : st.y, k * st.yStride * 4, t);
      for (const d of this.micro[k].dropouts) d.d.setKey(dropoutKey(setup.seed, input.t, k, d.layer));
    }
    this.optimizer.setStep(input.t, groupHypers(st.layout, input.lr, setup.optim));
    this.watch.setStep(input.t);
    const slotInfo = log ? await this.ring.acquire() : null;
    const enc = device.createCommandEncoder({ label: `step ${input.t}` });
    const pass = enc.beginComputePass({ label: `step ${input.t}` });
    for (const m of this.micro) encodeDispatches(pass, m.dispatches);
    encodeDispatches(pass, this.tail);
    if (log && evaluate) encodeDispatches(pass, this.evalPass);
    pass.end();
    if (slotInfo) {
      const lossBytes = setup.accum * st.lossStride * 4;
      const base = lossBytes;
      enc.copyBufferToBuffer(st.lossOut, 0, slotInfo.buffer, 0, lossBytes);
      enc.copyBufferToBuffer(st.stats, 0, slotInfo.buffer, base, 3 * 4);
      enc.copyBufferToBuffer(st.evalOut, 0, slotInfo.buffer, base + 16, 8);
      enc.copyBufferToBuffer(st.watch, 0, slotInfo.buffer, base + 24, 4);
    }
    device.queue.submit([enc.finish()]);
    if (!slotInfo) return null;
    const data = await this.ring.read(slotInfo.index);
    return this.decode(input.t, data, evaluate && this.evalPass.length > 0);
  }

  private decode(t: number, data: Float32Array, hasEval: boolean): StepLog {
    const { setup, st } = this;
    let loss = 0;
    let acc = 0;
    for (let k = 0; k < setup.accum; k++) {
      loss += data[k * st.lossStride];
      acc += data[k * st.lossStride + 1];
    }
    const base = setup.accum * st.lossStride;
    const log: StepLog = {
      step: t,
      loss: loss / setup.accum,
      gradNorm: Math.sqrt(data[base + STATS.sumsq]),
      divergedStep: new Uint32Array(data.buffer, (base + 6) * 4, 1)[0],
    };
    if (setup.spec.loss === 'ce') log.accuracy = acc / setup.accum;
    if (hasEval) {
      log.evalLoss = data[base + 4];
      if (setup.spec.loss === 'ce') log.evalAccuracy = data[base + 5];
    }
    return log;
  }

  /** Run the eval pass (student forward on the eval inputs) and read its outputs (evalRows, dOut). */
  async evalOutputs(): Promise<Float32Array> {
    const { device, st, setup } = this;
    if (!st.evalActs) throw new Error('no eval inputs');
    const enc = device.createCommandEncoder({ label: 'eval.outputs' });
    const pass = enc.beginComputePass({ label: 'eval.outputs' });
    encodeDispatches(pass, this.evalPass);
    pass.end();
    device.queue.submit([enc.finish()]);
    const L = layerCount(setup.spec);
    return readF32(device, st.evalActs.z[L - 1], setup.evalRows * setup.spec.sizes[L]);
  }

  /** Every trainable tensor by name, read back from the GPU. */
  async readAll(): Promise<Record<string, Float32Array>> {
    const all = await this.readParams();
    const out: Record<string, Float32Array> = {};
    for (const t of this.st.layout.tensors) out[t.name] = all.slice(t.offset, t.offset + t.size);
    return out;
  }

  /** Read a trainable tensor (e.g. 'A1', 'B1', 'W2') back from the GPU. */
  readTensor(name: string): Promise<Float32Array> {
    const s = slot(this.st.layout, name);
    if (!s) throw new Error(`no trainable tensor ${name}`);
    return readF32(this.device, this.st.params, s.size, s.offset);
  }

  readParams(): Promise<Float32Array> {
    return readF32(this.device, this.st.params, this.st.layout.total);
  }

  readGrads(): Promise<Float32Array> {
    return readF32(this.device, this.st.grads, this.st.layout.total);
  }

  destroy(): void {
    this.ring.destroy();
    for (const b of this.st.all) b.destroy();
  }
}
