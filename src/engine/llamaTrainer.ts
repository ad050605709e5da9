/**
 * The language model's trainer: R runs (R = 1 is a single run) fine-tuning one frozen tiny Llama
 * together, one submit per step for all of them (every projection's matmuls batched over runs, the
 * row-wise kernels over every run's rows at once). Each step: per micro-batch the forward pass, the
 * next-token cross-entropy per run and the backward pass (src/engine/llamaPasses.ts); then the same tail
 * as every model (src/engine/stepTail.ts: statistics, clipping, divergence watch, one optimizer
 * dispatch). At logging steps, the loss on each held-out set (the fine-tuning text's, the pretraining
 * text's) per run, read back through a staging slot. Same math as src/ref/llamaLora.ts.
 */
import { encodeDispatches, type Dispatch } from '../gpu/dispatch';
import { readF32, uploadU32 } from '../gpu/buffers';
import { crossEntropyLoss } from '../gpu/kernels/cross_entropy';
import { STATS } from '../gpu/kernels/reduce';
import { StagingRing } from '../gpu/staging';
import type { LlamaShape, LlamaWeights } from '../ref/llama';
import { ALIGN } from './layout';
import type { LinearModule } from './model';
import { cutBlock } from './runLayout';
import { allocateLlama, type LlamaState, type LmRunInit } from './llamaState';
import { llamaBackwardPass, llamaForwardPass, type LlamaPassContext } from './llamaPasses';
import { StepTail } from './stepTail';
import { copyToSlot, stagingLayout } from './trainer';
import type { OptimSettings, StepHyper, StepLog } from './types';

export type { LmRunInit };

export interface LmTrainSetup {
  shape: LlamaShape;
  weights: LlamaWeights;
  /** Every projection in forward order with how the runs train it (src/tasks/llamaModel.ts llamaLinears). */
  modules: LinearModule[];
  /** Windows per micro-batch; each window is seq + 1 tokens (inputs, and the next tokens as labels). */
  batch: number;
  seq: number;
  accum: number;
  optim: OptimSettings;
  divergeBound: number;
  /** Held-out windows (seq + 1 tokens each) per eval set; each set's count a multiple of batch. */
  evalSets: (readonly (readonly number[])[])[];
}

export interface LmStepInput {
  t: number;
  hypers: StepHyper[];
  /** accum micro-batches, each `batch` windows of seq + 1 tokens. */
  windows: (readonly (readonly number[])[])[];
}

/** Inputs (each window's first seq tokens) and labels (its last seq) of a batch of windows, flat. */
export function splitWindows(windows: readonly (readonly number[])[], seq: number): { tokens: Uint32Array; labels: Uint32Array } {
  const tokens = new Uint32Array(windows.length * seq);
  const labels = new Uint32Array(windows.length * seq);
  windows.forEach((w, b) => {
    if (w.length !== seq + 1) throw new Error(`language model: a window of ${w.length} tokens, expected ${seq + 1}`);
    for (let j = 0; j < seq; j++) {
      tokens[b * seq + j] = w[j];
      labels[b * seq + j] = w[j + 1];
    }
  });
  return { tokens, labels };
}

export class LlamaTrainer {
  readonly st: LlamaState;
  readonly runs: number;
  private ctx: LlamaPassContext;
  private micro: { tokens: GPUBuffer; labels: GPUBuffer; dispatches: Dispatch[] }[] = [];
  private tail: StepTail;
  /** Per eval set, its chunks' dispatch lists (each chunk is one batch of windows). */
  private evalSets: Dispatch[][][] = [];
  private ring: StagingRing;
  private readonly slot: ReturnType<typeof stagingLayout>;
  private readonly evalChunkCount: number;

  constructor(readonly device: GPUDevice, readonly setup: LmTrainSetup, runs: LmRunInit[]) {
    const { batch, seq, accum, shape } = setup;
    for (const [i, set] of setup.evalSets.entries())
      if (set.length % batch !== 0) throw new Error(`language model: eval set ${i} has ${set.length} windows, not a multiple of the batch (${batch})`);
    const rows = batch * seq;
    this.evalChunkCount = setup.evalSets.reduce((a, s) => a + s.length / batch, 0);
    const st = (this.st = allocateLlama(device, { shape, weights: setup.weights, modules: setup.modules, rows, seq, accum, evalChunks: this.evalChunkCount }, runs));
    const R = (this.runs = runs.length);
    this.ctx = { device, shape, modules: setup.modules, st, seq };
    const forward = (tokens: GPUBuffer) => llamaForwardPass(this.ctx, tokens);
    const loss = (labels: GPUBuffer, out: GPUBuffer, slot: (run: number) => number, gradScale: number): Dispatch[] =>
      Array.from({ length: R }, (_, i) =>
        crossEntropyLoss(device, {
          rows,
          classes: shape.vocab,
          logits: { buffer: st.logits.buf, offset: i * st.logits.stride * 4, size: rows * shape.vocab * 4 },
          labels,
          grad: { buffer: st.dlogits.buf, offset: i * st.dlogits.stride * 4, size: rows * shape.vocab * 4 },
          out: { buffer: out, offset: slot(i) * 4, size: 8 },
          gradScale,
        }).dispatches,
      ).flat();
    const keep = (b: GPUBuffer) => (st.all.push(b), b);
    for (let k = 0; k < accum; k++) {
      const tokens = keep(uploadU32(device, `lm.tokens[${k}]`, new Uint32Array(rows)));
      const labels = keep(uploadU32(device, `lm.labels[${k}]`, new Uint32Array(rows)));
      // lossOut holds (run, micro-batch) slots
      const at = (i: number) => (i * accum + k) * ALIGN;
      this.micro.push({ tokens, labels, dispatches: [...forward(tokens), ...loss(labels, st.lossOut, at, 1 / accum), ...llamaBackwardPass(this.ctx, k > 0)] });
    }
    this.tail = new StepTail(device, st.layout, st, setup);
    let chunk = 0;
    for (const [si, set] of setup.evalSets.entries()) {
      const lists: Dispatch[][] = [];
      for (let b0 = 0; b0 < set.length; b0 += batch) {
        const { tokens, labels } = splitWindows(set.slice(b0, b0 + batch), seq);
        const c = chunk++;
        const at = (i: number) => (i * this.evalChunkCount + c) * ALIGN;
        lists.push([...forward(keep(uploadU32(device, `lm.eval${si}.tokens[${b0}]`, tokens))), ...loss(keep(uploadU32(device, `lm.eval${si}.labels[${b0}]`, labels)), st.evalOut, at, 1)]);
      }
      this.evalSets.push(lists);
    }
    this.slot = stagingLayout(R, accum, this.evalChunkCount);
    this.ring = new StagingRing(device, this.slot.floats * 4, 3);
  }

  /**
   * One step of every run (one submit); with `log`, the step's scalars (and, with `evaluate`, every
   * eval set's loss after the update) resolve in `logs` once the GPU reaches this step.
   */
  async submit(input: LmStepInput, log: boolean, evaluate = log): Promise<{ logs: Promise<StepLog[]> } | null> {
    const { device, st, setup } = this;
    if (input.hypers.length !== this.runs) throw new Error(`language model trainer: ${input.hypers.length} hyperparameter sets for ${this.runs} runs`);
    if (input.windows.length !== setup.accum) throw new Error(`language model trainer: ${input.windows.length} micro-batches, expected ${setup.accum}`);
    const slot = log ? await this.ring.acquire() : null;
    input.windows.forEach((w, k) => {
      if (w.length !== setup.batch) throw new Error(`language model trainer: ${w.length} windows, expected ${setup.batch}`);
      const { tokens, labels } = splitWindows(w, setup.seq);
      device.queue.writeBuffer(this.micro[k].tokens, 0, tokens);
      device.queue.writeBuffer(this.micro[k].labels, 0, labels);
    });
    this.tail.setStep(input.t, input.hypers);
    const enc = device.createCommandEncoder({ label: `lm step ${input.t}` });
    const pass = enc.beginComputePass({ label: `lm step ${input.t}` });
    for (const m of this.micro) encodeDispatches(pass, m.dispatches);
    encodeDispatches(pass, this.tail.dispatches);
    const hasEval = log && evaluate && this.evalChunkCount > 0;
    if (hasEval) for (const set of this.evalSets) for (const c of set) encodeDispatches(pass, c);
    pass.end();
    if (slot) copyToSlot(enc, st, this.slot, slot.buffer);
    device.queue.submit([enc.finish()]);
    if (!slot) return null;
    return { logs: this.ring.read(slot.index).then((data) => this.decode(input.t, data, hasEval)) };
  }

  async step(input: LmStepInput, log: boolean, evaluate = log): Promise<StepLog[] | null> {
    const sub = await this.submit(input, log, evaluate);
    return sub ? sub.logs : null;
  }

  get inFlightLimit(): number {
    return this.ring.size;
  }

  /** One training step's dispatches (every micro-batch, then the tail) and one eval pass's: for profiles. */
  dispatchLists(): { step: Dispatch[]; eval: Dispatch[] } {
    return { step: [...this.micro.flatMap((m) => m.dispatches), ...this.tail.dispatches], eval: this.evalSets.flat(2) };
  }

  private decode(t: number, data: Float32Array, hasEval: boolean): StepLog[] {
    const A = this.setup.accum;
    const s = this.slot;
    const u32 = new Uint32Array(data.buffer);
    const C = this.evalChunkCount;
    return Array.from({ length: this.runs }, (_, i) => {
      let loss = 0;
      let acc = 0;
      for (let k = 0; k < A; k++) {
        loss += data[s.loss + (i * A + k) * ALIGN];
        acc += data[s.loss + (i * A + k) * ALIGN + 1];
      }
      const log: StepLog = { step: t, loss: loss / A, accuracy: acc / A, gradNorm: Math.sqrt(data[s.stats + i * ALIGN + STATS.sumsq]), divergedStep: u32[s.watch + i * ALIGN] };
      if (hasEval) {
        let c = 0;
        log.evalLosses = this.evalSets.map((set) => {
          let sum = 0;
          for (let j = 0; j < set.length; j++) sum += data[s.evalOut + (i * C + c++) * ALIGN];
          return sum / set.length;
        });
        log.evalLoss = log.evalLosses[0];
      }
      return log;
    });
  }

  /** Every run's trainable tensors ('A<i>', 'B<i>' cut to ranks[run], 'W<i>'; i = module index). */
  async readRuns(ranks: number[]): Promise<Record<string, Float32Array>[]> {
    const bs = this.st.layout.blockSize;
    const all = await readF32(this.device, this.st.params, this.runs * bs);
    return ranks.map((r, i) => cutBlock(this.st.layout.block, all.subarray(i * bs, (i + 1) * bs), r));
  }

  /** Run i's gradient block (tests), in its layout. */
  readGrads(i = 0): Promise<Record<string, Float32Array>> {
    const bs = this.st.layout.blockSize;
    return readF32(this.device, this.st.grads, bs, i * bs).then((g) => cutBlock(this.st.layout.block, g, this.st.rmax));
  }

  /** Run `run`'s logits of the last forward pass (rows, vocab). */
  readLogits(run = 0): Promise<Float32Array> {
    return readF32(this.device, this.st.logits.buf, this.st.rows * this.setup.shape.vocab, run * this.st.logits.stride);
  }

  destroy(): void {
    this.ring.destroy();
    for (const b of this.st.all) b.destroy();
  }
}
