/**
 * Layout of a trainer's R runs (R = 1: a single run) over one shared frozen base, each run with its own LoRA
 * factors (or fully trained weights), learning rate, scaling and clip coefficient. Every run's
 * trainable tensors form one block of identical layout (ranks padded to the group's largest: the
 * padding rows of A and columns of B start at zero and stay exactly zero, since their gradients are
 * zero and AdamW/SGD leave a zero parameter with zero gradient at zero), so run i's tensor `name` sits
 * at i * blockSize + offset(name), and per-run buffers of activations have a fixed, 256-byte aligned
 * stride. Pure data.
 */
import { ALIGN, paramLayout, type MlpSpec, type ParamLayout } from './layout';

export interface BatchedLayout {
  runs: number;
  /** The single-run layout at the padded rank (offsets within one run's block). */
  block: ParamLayout;
  /** Floats per run block (aligned). */
  blockSize: number;
  total: number;
}

export const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export function batchedLayout(spec: MlpSpec, runs: number): BatchedLayout {
  return blockLayout(paramLayout(spec), runs);
}

/** R copies of one run's layout, each block aligned. */
export function blockLayout(block: ParamLayout, runs: number): BatchedLayout {
  const blockSize = alignUp(block.total);
  return { runs, block, blockSize, total: blockSize * runs };
}

/** Offset of run i's tensor `name` in the flat buffer. */
export function tensorOffset(l: BatchedLayout, run: number, name: string): number {
  const t = l.block.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`no tensor ${name}`);
  return run * l.blockSize + t.offset;
}

/**
 * Optimizer groups: per run, its A group (lr), B group (lr * LoRA+ ratio) or full group, each with the
 * run's clip coefficient (clip slots are ALIGN floats apart: storage bindings need 256-byte offsets).
 */
export function batchedGroups(l: BatchedLayout): { start: number; end: number; clipIndex: number; run: number; name: 'A' | 'B' | 'full' }[] {
  const out: { start: number; end: number; clipIndex: number; run: number; name: 'A' | 'B' | 'full' }[] = [];
  for (let i = 0; i < l.runs; i++)
    for (const g of l.block.groups) out.push({ start: i * l.blockSize + g.start, end: i * l.blockSize + g.end, clipIndex: i * ALIGN, run: i, name: g.name });
  return out;
}

/** Pad a (rows, cols) row-major matrix to (rowsP, colsP) with zeros. */
export function padMatrix(m: Float32Array, rows: number, cols: number, rowsP: number, colsP: number): Float32Array {
  const out = new Float32Array(rowsP * colsP);
  for (let i = 0; i < rows; i++) out.set(m.subarray(i * cols, (i + 1) * cols), i * colsP);
  return out;
}

/** Bytes one per-run eval activation buffer (R runs x rows x the widest layer) may take. */
export const EVAL_BUFFER_BUDGET = 8 << 20;

/**
 * Rows per eval chunk: the whole eval set when R runs' widest activation fits EVAL_BUFFER_BUDGET, else
 * the most rows that fit, never fewer than the batch (then the training buffers are reused).
 */
export function evalChunkRows(batch: number, evalRows: number, runs: number, maxWidth: number, budget = EVAL_BUFFER_BUDGET): number {
  const fit = Math.floor(budget / (runs * maxWidth * 4));
  return Math.max(Math.min(batch, evalRows), Math.min(evalRows, fit));
}

/** One run's trainable tensors from its block, LoRA factors cut back to the run's own rank r. */
export function cutBlock(block: ParamLayout, data: Float32Array, r: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const t of block.tensors) {
    const full = data.slice(t.offset, t.offset + t.size);
    const [rows, cols] = t.shape;
    if (t.name[0] === 'A') out[t.name] = full.slice(0, r * cols);
    else if (t.name[0] === 'B') out[t.name] = Float32Array.from({ length: rows * r }, (_, j) => full[Math.floor(j / r) * cols + (j % r)]);
    else out[t.name] = full;
  }
  return out;
}
