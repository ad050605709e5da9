/**
 * GPU memory of a group of runs trained together (one run on the training page, a batch of a sweep),
 * from the settings alone, before anything is allocated: the buffers the trainer allocates, named, with
 * their sizes, following its layout (src/engine/state.ts and trainer.ts for the toy MLP,
 * src/engine/llamaState.ts and llamaTrainer.ts for the language model). The kernels' own small buffers
 * (uniforms, reduction partials, the optimizer's group table) are counted as one "kernel scratch"
 * entry from the number of dispatches they roughly come with. A GPU test compares the total with the
 * bytes the allocator counted (src/gpu/buffers.ts createGpuBuffer).
 *
 * limitsProblem() says, before allocation, whether the largest buffer exceeds the adapter's
 * maxBufferSize / maxStorageBufferBindingSize or the total exceeds a memory budget, naming the
 * number and the settings to lower.
 */
import type { RunConfig } from './schema';
import { formatBytes } from '../format';
import { chainSpec } from '../engine/model';
import { ALIGN, layerCount, needsInputGrad } from '../engine/layout';
import { alignUp, batchedLayout, blockLayout, evalChunkRows } from '../engine/runLayout';
import { moduleLayout } from '../engine/layout';
import { stageOf } from '../engine/llamaState';
import { toyModel } from '../tasks/toyModel';
import { BASE_SHAPE, llamaParamCount } from '../tasks/llamaBase';
import { llamaLinearsFromCells } from '../tasks/llamaModel';
import { lmEvalWindows } from '../tasks/lmTask';

/** Staging slots per trainer (trainer.ts / llamaTrainer.ts StagingRing(..., 3)). */
const STAGING_SLOTS = 3;
/** Bytes of kernel scratch (uniforms, partials) per layer-sized piece of work: a rough, small term. */
const SCRATCH_PER_DISPATCH = 48;

export interface BufferEstimate {
  name: string;
  bytes: number;
}

export interface GroupMemory {
  runs: number;
  totalBytes: number;
  /** The largest single buffer (what maxBufferSize and maxStorageBufferBindingSize bound). */
  largest: BufferEstimate;
  buffers: BufferEstimate[];
}

/** createStorageBuffer's size for `floats` f32 (or u32) values. */
const sized = (floats: number) => Math.max(16, Math.ceil(Math.max(4, floats * 4) / 4) * 4);

/** The staging slot of R runs (trainer.ts stagingLayout), in floats. */
const stagingFloats = (R: number, accum: number, chunks: number) => R * accum * ALIGN + 2 * R * ALIGN + R * Math.max(1, chunks) * ALIGN;

function summarize(runs: number, list: BufferEstimate[]): GroupMemory {
  let largest = list[0];
  for (const b of list) if (b.bytes > largest.bytes) largest = b;
  return { runs, totalBytes: list.reduce((a, b) => a + b.bytes, 0), largest, buffers: list };
}

/** Every run of `cfgs` shares the group's settings (engine/group.ts groupKey); ranks may differ. */
export function groupMemory(cfgs: readonly RunConfig[]): GroupMemory {
  return cfgs[0].task === 'lm' ? lmMemory(cfgs) : toyMemory(cfgs);
}

function toyMemory(cfgs: readonly RunConfig[]): GroupMemory {
  const c = cfgs[0];
  const R = cfgs.length;
  const rmax = Math.max(...cfgs.map((x) => x.r));
  const spec = chainSpec(toyModel(c), rmax, 1);
  const L = layerCount(spec);
  const d = spec.sizes;
  const batch = c.batch;
  const first = spec.modes.findIndex((m) => m !== 'frozen');
  const lora = (i: number) => spec.modes[i] === 'lora';
  const drop = (i: number) => lora(i) && c.mode === 'lora' && c.lora_dropout > 0;
  const out: BufferEstimate[] = [];
  const add = (name: string, floats: number) => out.push({ name, bytes: sized(floats) });
  const perRun = (name: string, rows: number, w: number, shared: boolean) => add(shared ? `${name} (${rows} x ${w})` : `${name} (${R} runs x ${rows} x ${w})`, shared ? rows * w : R * alignUp(rows * w));

  const E = c.evalSize;
  const chunkRows = evalChunkRows(batch, E, R, Math.max(...d));
  const chunks = Math.ceil(E / chunkRows);
  for (let r0 = 0; r0 < E; r0 += chunkRows) {
    const rows = Math.min(chunkRows, E - r0);
    add('eval inputs', rows * d[0]);
    add('eval targets', rows * d[L]);
    add('eval labels', rows);
    if (first >= 0 && lora(first)) {
      if (first > 0) add('eval shared input', rows * d[first]);
      add('eval shared product', rows * d[first + 1]);
    }
  }
  const acts = (prefix: string, rows: number) => {
    for (let i = 0; i < L; i++) perRun(`${prefix}z${i}`, rows, d[i + 1], i < first);
    for (let i = 0; i < L - 1; i++) perRun(`${prefix}a${i}`, rows, d[i + 1], i < first);
    for (let i = 0; i < L; i++) if (lora(i)) perRun(`${prefix}h${i}`, rows, rmax, false);
  };
  acts('activations ', batch);
  for (let i = 0; i < L; i++) perRun(`gradient gz${i}`, batch, d[i + 1], i < first);
  if (chunkRows > batch) {
    acts('eval activations ', chunkRows);
    perRun('eval loss gradient', chunkRows, d[L], L - 1 < first);
  }
  add('inputs x', c.accum * alignUp(batch * d[0]));
  add('targets y', c.accum * alignUp(batch * d[L]));
  add('labels', c.accum * alignUp(batch * d[L]));
  for (let i = 0; i < L; i++) {
    if (drop(i)) perRun(`dropout xd${i}`, batch, d[i], i <= first);
    if (needsInputGrad(spec, i)) perRun(`gradient ga${i}`, batch, d[i], false);
    if (lora(i)) perRun(`gradient dh${i}`, batch, rmax, false);
    if (drop(i) && needsInputGrad(spec, i)) perRun(`gradient dxl${i}`, batch, d[i], false);
  }
  const total = batchedLayout(spec, R).total;
  for (const n of ['parameters', 'gradients', 'optimizer m', 'optimizer v']) add(`${n} (${R} runs)`, total);
  add('alphas', R);
  for (let i = 0; i < L; i++) {
    if (spec.modes[i] !== 'full') add(`base W${i}`, d[i] * d[i + 1]);
    add(`teacher W${i}`, d[i] * d[i + 1]);
  }
  for (let i = 0; i < L; i++) add(`teacher z${i}`, Math.max(batch, chunkRows) * d[i + 1]);
  for (let i = 0; i < L - 1; i++) add(`teacher a${i}`, Math.max(batch, chunkRows) * d[i + 1]);
  if (first >= 0 && lora(first)) add('shared product', batch * d[first + 1]);
  add('loss slots', R * c.accum * ALIGN);
  add('eval loss slots', R * Math.max(1, chunks) * ALIGN);
  for (const n of ['statistics', 'clip coefficients', 'divergence watch']) add(n, R * ALIGN);
  out.push({ name: 'staging', bytes: STAGING_SLOTS * stagingFloats(R, c.accum, chunks) * 4 });
  // cross-entropy: a (rows, 2) partials buffer per run per micro-batch and per eval chunk
  if (spec.loss === 'ce') out.push({ name: 'loss partials', bytes: R * (c.accum * sized(batch * 2) + chunks * sized(chunkRows * 2)) });
  // about 4 dispatches per layer forward, 6 backward, per micro-batch, plus the tail's and the eval's
  out.push({ name: 'kernel scratch', bytes: SCRATCH_PER_DISPATCH * (10 * (L + 1) * c.accum + 4 * (L + 1) * chunks + 16) });
  return summarize(R, out);
}

function lmMemory(cfgs: readonly RunConfig[]): GroupMemory {
  const c = cfgs[0];
  const s = BASE_SHAPE;
  const R = cfgs.length;
  const rmax = Math.max(...cfgs.map((x) => x.r));
  const seq = c.seqLen;
  const rows = c.batch * seq;
  const mods = llamaLinearsFromCells(s, c.lmTargets, c.mode === 'fft' ? 'full' : 'lora');
  const firstStage = Math.min(...mods.map((m, i) => (m.mode === 'frozen' ? Infinity : stageOf(i))));
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const I = s.intermediate;
  const out: BufferEstimate[] = [];
  const add = (name: string, floats: number) => out.push({ name, bytes: sized(floats) });
  const act = (name: string, width: number, stage: number) => (stage >= firstStage ? add(`${name} (${R} runs x ${rows} x ${width})`, R * rows * width) : add(`${name} (${rows} x ${width})`, rows * width));
  const perRun = (name: string, width: number) => add(`${name} (${R} runs x ${rows} x ${width})`, R * rows * width);

  out.push({ name: 'base model weights', bytes: llamaParamCount(s) * 4 });
  add('rope cos', seq * (s.headDim / 2));
  add('rope sin', seq * (s.headDim / 2));
  act('x0', s.hidden, -1);
  for (let l = 0; l < s.layers; l++) {
    const st = 4 * l;
    act(`l${l}.h1`, s.hidden, st - 1);
    for (const [n, w] of [['q', q], ['k', kv], ['v', kv], ['att', q], ['lse', s.heads]] as const) act(`l${l}.${n}`, w, st);
    act(`l${l}.xm`, s.hidden, st + 1);
    act(`l${l}.h2`, s.hidden, st + 1);
    for (const n of ['g', 'u', 'm']) act(`l${l}.${n}`, I, st + 2);
    act(`l${l + 1}.x`, s.hidden, st + 3);
  }
  act('hf', s.hidden, 4 * s.layers);
  add(`logits (${R} runs x ${rows} x ${s.vocab})`, R * alignUp(rows * s.vocab));
  add(`logit gradients (${R} runs x ${rows} x ${s.vocab})`, R * alignUp(rows * s.vocab));
  mods.forEach((m, i) => m.mode === 'lora' && perRun(`H${i}`, rmax));
  add('y0', rows * Math.max(...mods.map((m) => m.dOut)));
  for (const [n, w] of [['dx', s.hidden], ['dtmp', s.hidden], ['dn', s.hidden], ['datt', q], ['dq', q], ['dk', kv], ['dv', kv], ['dsum', s.heads], ['dm', I], ['dg', I], ['du', I], ['dH', rmax]] as const) perRun(n, w);
  const total = blockLayout(moduleLayout(mods, rmax, false), R).total;
  for (const n of ['parameters', 'gradients', 'optimizer m', 'optimizer v']) add(`${n} (${R} runs)`, total);
  const chunks = (2 * lmEvalWindows(c.batch)) / c.batch;
  add('alphas', R);
  add('loss slots', R * c.accum * ALIGN);
  add('eval loss slots', R * Math.max(1, chunks) * ALIGN);
  for (const n of ['statistics', 'clip coefficients', 'divergence watch']) add(n, R * ALIGN);
  for (let k = 0; k < c.accum + chunks; k++) {
    add('tokens', rows);
    add('labels', rows);
  }
  out.push({ name: 'staging', bytes: STAGING_SLOTS * stagingFloats(R, c.accum, chunks) * 4 });
  out.push({ name: 'loss partials', bytes: R * (c.accum + chunks) * sized(rows * 2) });
  // about 12 dispatches per projection forward and backward per micro-batch, 6 per eval chunk
  out.push({ name: 'kernel scratch', bytes: SCRATCH_PER_DISPATCH * (mods.length * (12 * c.accum + 6 * chunks) + 16) });
  return summarize(R, out);
}

/**
 * The memory budget of one group when none is stated: WebGPU does not say how much memory the GPU has,
 * and 4 GiB is what a common laptop GPU can spare; the GPU panel states another.
 */
export const DEFAULT_MEMORY_BUDGET = 4 * 2 ** 30;

export interface MemoryLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** Bytes the runs of one group may take in all (a stated budget). */
  budget: number;
}

/** Which settings make a group's buffers bigger, named for the message. */
function lowerWhat(c: RunConfig, runs: number): string {
  const more = runs > 1 ? ', or the runs trained together (a smaller grid)' : '';
  return c.task === 'lm' ? `lower batch or seqLen${more}` : `lower batch or width${more}`;
}

/**
 * Why these settings cannot be allocated here (null when they fit): the number, the limit it exceeds
 * and the settings to lower, e.g. "width 1024 x batch 1024: activations z1 (64 runs x 1024 x 1024)
 * need 268 MB, over this GPU's maxStorageBufferBindingSize 128 MB; lower batch or width".
 */
export function limitsProblem(cfgs: readonly RunConfig[], limits: MemoryLimits, mem = groupMemory(cfgs)): string | null {
  const c = cfgs[0];
  const what = c.task === 'lm' ? `batch ${c.batch} x seqLen ${c.seqLen}` : `width ${c.width} x batch ${c.batch}`;
  const group = cfgs.length > 1 ? `${cfgs.length} runs of ` : '';
  const lower = lowerWhat(c, cfgs.length);
  const binding = limits.maxStorageBufferBindingSize <= limits.maxBufferSize;
  const cap = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const capName = binding ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  if (mem.largest.bytes > cap) return `${group}${what}: ${mem.largest.name} needs ${formatBytes(mem.largest.bytes)}, over this GPU's ${capName} ${formatBytes(cap)}; ${lower}`;
  if (mem.totalBytes > limits.budget) return `${group}${what}: the buffers need ${formatBytes(mem.totalBytes)} in all, over the memory budget ${formatBytes(limits.budget)}; ${lower}`;
  return null;
}
