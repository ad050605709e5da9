/**
 * The end of every training step, whatever the model: each run's gradient statistics (one dispatch, a
 * workgroup per run), its clip coefficient, the divergence watch over its losses and statistics, and one
 * fused optimizer dispatch over every run's parameters. The toy MLP's trainer and the language model's
 * share it, so clipping, LoRA+, live hyperparameters and divergence mean the same thing in both.
 */
import type { Dispatch } from '../gpu/dispatch';
import { reduceStatsSegments } from '../gpu/kernels/reduce';
import { clipCoef } from '../gpu/kernels/clip';
import { createAdamW } from '../gpu/kernels/adamw';
import { createSgd } from '../gpu/kernels/sgd';
import { createWatch, type Watch } from '../gpu/kernels/watch';
import type { GroupHyper } from '../gpu/kernels/paramGroups';
import { ALIGN } from './layout';
import { batchedGroups, type BatchedLayout } from './runLayout';
import type { OptimSettings, StepHyper } from './types';

export interface StepTailBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  /** R slots of ALIGN floats each. */
  stats: GPUBuffer;
  clipCoefs: GPUBuffer;
  watch: GPUBuffer;
  /** (run, micro-batch) slots of ALIGN floats: [loss, ...]. */
  lossOut: GPUBuffer;
}

export class StepTail {
  readonly dispatches: Dispatch[];
  private optimizer: { dispatch: Dispatch; setStep(t: number, hyper: GroupHyper[]): void };
  private clip: { setMaxNorm(v: number[]): void };
  private watch: Watch;
  private groups: ReturnType<typeof batchedGroups>;

  constructor(device: GPUDevice, layout: BatchedLayout, b: StepTailBuffers, o: { accum: number; optim: OptimSettings; divergeBound: number }) {
    const R = layout.runs;
    const bs = layout.blockSize;
    this.groups = batchedGroups(layout);
    const n = layout.total;
    const opt = o.optim;
    this.optimizer =
      opt.kind === 'adamw'
        ? createAdamW(device, n, this.groups, { params: b.params, grads: b.grads, m: b.m, v: b.v, clipCoef: b.clipCoefs }, opt)
        : createSgd(device, n, this.groups, { params: b.params, grads: b.grads, momentum: b.m, clipCoef: b.clipCoefs }, { momentum: opt.momentum });
    const stats = reduceStatsSegments(device, R, bs, bs, b.grads, b.stats, ALIGN);
    const clip = (this.clip = clipCoef(device, { sumsq: b.stats, coef: b.clipCoefs, runs: R, stride: ALIGN }));
    this.watch = createWatch(device, o.accum, b.lossOut, b.stats, b.watch, o.divergeBound, ALIGN, { runs: R, runStride: o.accum * ALIGN, slotStride: ALIGN });
    this.dispatches = [stats, clip.dispatch, this.optimizer.dispatch, this.watch.dispatch];
  }

  /** Step t's per-run table: every optimizer group's lr (B's times the LoRA+ ratio) and wd, every clip. */
  setStep(t: number, h: StepHyper[]): void {
    this.optimizer.setStep(
      t,
      this.groups.map((g) => ({ lr: g.name === 'B' ? h[g.run].lr * h[g.run].loraPlusRatio : h[g.run].lr, weightDecay: h[g.run].weightDecay })),
    );
    this.clip.setMaxNorm(h.map((x) => x.clip));
    this.watch.setStep(t);
  }
}
