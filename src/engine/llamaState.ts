/**
 * GPU buffers of the language model's trainer for R runs (R = 1: a single run) over one frozen base.
 * Every run's trainable tensors form one block (src/engine/layout.ts moduleLayout over the model's
 * projections in forward order; ranks padded to the group's largest, padding exactly zero). Activations
 * are R per-run copies back to back (run i's at i * rows * width), so the row-wise kernels (RMSNorm,
 * RoPE, attention, SwiGLU) treat R runs as R * rows rows in one dispatch; what is computed before the
 * first trained stage is the same for every run and is computed once ("shared", stride 0).
 *
 * Stages, four per layer: 0 the q/k/v projections (and the norm before them), 1 attention and o_proj,
 * 2 gate/up (and the norm before them), 3 SwiGLU and down_proj. A stage's outputs are per run from the
 * first stage that holds a trained module on.
 */
import { createStorageBuffer, uploadF32 } from '../gpu/buffers';
import type { LinearModule } from './model';
import { ALIGN, moduleLayout } from './layout';
import { alignUp, blockLayout, padMatrix, tensorOffset, type BatchedLayout } from './runLayout';
import type { Strided } from './state';
import type { LlamaShape, LlamaWeights } from '../ref/llama';
import { ropeTable } from '../ref/rope';

/** A run's starting point: LoRA factors (A (r, in), B (out, r)) per module index, null where not LoRA. */
export interface LmRunInit {
  r: number;
  scaling: number;
  A: (Float32Array | null)[];
  B: (Float32Array | null)[];
}

/** Stage of module i (7 projections per layer, forward order q k v o gate up down; lm_head last). */
export function stageOf(i: number): number {
  const l = Math.floor(i / 7);
  const t = i % 7;
  return 4 * l + (t < 3 ? 0 : t === 3 ? 1 : t < 6 ? 2 : 3);
}

export interface LayerActs {
  xa: Strided; // the layer's input (residual stream)
  h1: Strided;
  q: Strided;
  k: Strided;
  v: Strided;
  att: Strided;
  lse: Strided;
  xm: Strided; // residual after attention
  h2: Strided;
  g: Strided;
  u: Strided;
  m: Strided;
}

export interface LlamaState {
  R: number;
  rows: number;
  rmax: number;
  layout: BatchedLayout;
  /** The first stage with a trained module. */
  firstStage: number;
  /** Frozen weights by HF name (modules trained in full read theirs from params instead). */
  W: Record<string, GPUBuffer>;
  cos: GPUBuffer;
  sin: GPUBuffer;
  layers: LayerActs[];
  /** The final residual stream, its norm and the logits (per run, each run's logits 256-byte aligned). */
  xf: Strided;
  hf: Strided;
  logits: Strided;
  /** LoRA path activations per adapted module (rows, rmax per run), by module index. */
  H: (Strided | null)[];
  /** Scratch: the shared frozen product of a module whose input is shared (rows, widest). */
  y0: GPUBuffer;
  // backward scratch, per run
  dlogits: Strided;
  dx: Strided;
  dtmp: Strided;
  dn: Strided;
  datt: Strided;
  dq: Strided;
  dk: Strided;
  dv: Strided;
  dsum: Strided;
  dm: Strided;
  dg: Strided;
  du: Strided;
  dH: Strided;
  params: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  alphas: GPUBuffer;
  lossOut: GPUBuffer;
  evalOut: GPUBuffer;
  stats: GPUBuffer;
  clipCoefs: GPUBuffer;
  watch: GPUBuffer;
  all: GPUBuffer[];
}

export function allocateLlama(device: GPUDevice, o: { shape: LlamaShape; weights: LlamaWeights; modules: LinearModule[]; rows: number; seq: number; accum: number; evalChunks: number }, runs: LmRunInit[]): LlamaState {
  const s = o.shape;
  const R = runs.length;
  const rows = o.rows;
  const rmax = Math.max(...runs.map((r) => r.r));
  const mods = o.modules;
  const layout = blockLayout(moduleLayout(mods, rmax, false), R);
  const trained = mods.map((m, i) => (m.mode === 'frozen' ? Infinity : stageOf(i)));
  const firstStage = Math.min(...trained);
  if (!Number.isFinite(firstStage)) throw new Error('language model trainer: no module is trained');
  const all: GPUBuffer[] = [];
  const keep = (b: GPUBuffer) => (all.push(b), b);
  const buf = (name: string, floats: number) => keep(createStorageBuffer(device, `lm.${name}`, Math.max(4, floats * 4)));
  /** Per run from `stage` on (stage >= firstStage), else one shared copy. */
  const act = (name: string, width: number, stage: number): Strided =>
    stage >= firstStage ? { buf: buf(`${name}(${R}x${rows}x${width})`, R * rows * width), stride: rows * width } : { buf: buf(`${name}(${rows}x${width})`, rows * width), stride: 0 };
  const perRun = (name: string, width: number): Strided => ({ buf: buf(`${name}(${R}x${rows}x${width})`, R * rows * width), stride: rows * width });

  const W: Record<string, GPUBuffer> = {};
  for (const [name, t] of Object.entries(o.weights)) W[name] = keep(uploadF32(device, `lm.${name}`, t));
  const table = ropeTable(o.seq, s.headDim, s.ropeTheta);
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const I = s.intermediate;
  const layers: LayerActs[] = [];
  let xa = act('x0', s.hidden, -1);
  for (let l = 0; l < s.layers; l++) {
    const st = 4 * l;
    const h1 = act(`l${l}.h1`, s.hidden, st - 1);
    const xm = act(`l${l}.xm`, s.hidden, st + 1);
    const g = act(`l${l}.g`, I, st + 2);
    layers.push({
      xa,
      h1,
      q: act(`l${l}.q`, q, st),
      k: act(`l${l}.k`, kv, st),
      v: act(`l${l}.v`, kv, st),
      att: act(`l${l}.att`, q, st),
      lse: act(`l${l}.lse`, s.heads, st),
      xm,
      h2: act(`l${l}.h2`, s.hidden, st + 1),
      g,
      u: act(`l${l}.u`, I, st + 2),
      m: act(`l${l}.m`, I, st + 2),
    });
    xa = act(`l${l + 1}.x`, s.hidden, st + 3);
  }
  // logits per run, each run's block 256-byte aligned (the loss kernel binds one run's range)
  const logitStride = alignUp(rows * s.vocab);
  const logits = { buf: buf(`logits(${R})`, R * logitStride), stride: logitStride };

  // initial parameters: each run's block, LoRA factors padded to rmax, fully trained weights from the base
  const params = new Float32Array(layout.total);
  runs.forEach((run, i) => {
    for (const t of layout.block.tensors) {
      const off = tensorOffset(layout, i, t.name);
      const [tr, tc] = t.shape;
      const j = t.layer;
      if (t.name[0] === 'A') params.set(padMatrix(need(run.A[j], mods[j].name, 'A'), run.r, tc, tr, tc), off);
      else if (t.name[0] === 'B') params.set(padMatrix(need(run.B[j], mods[j].name, 'B'), tr, run.r, tr, tc), off);
      else params.set(o.weights[`${mods[j].name}.weight`], off);
    }
  });
  const widest = Math.max(...mods.map((m) => m.dOut));
  return {
    R,
    rows,
    rmax,
    layout,
    firstStage,
    W,
    cos: keep(uploadF32(device, 'lm.rope.cos', table.cos)),
    sin: keep(uploadF32(device, 'lm.rope.sin', table.sin)),
    layers,
    xf: xa,
    hf: act('hf', s.hidden, 4 * s.layers),
    logits,
    H: mods.map((m, i) => (m.mode === 'lora' ? perRun(`H${i}`, rmax) : null)),
    y0: buf('y0', rows * widest),
    dlogits: { buf: buf(`dlogits(${R})`, R * logitStride), stride: logitStride },
    dx: perRun('dx', s.hidden),
    dtmp: perRun('dtmp', s.hidden),
    dn: perRun('dn', s.hidden),
    datt: perRun('datt', q),
    dq: perRun('dq', q),
    dk: perRun('dk', kv),
    dv: perRun('dv', kv),
    dsum: perRun('dsum', s.heads),
    dm: perRun('dm', I),
    dg: perRun('dg', I),
    du: perRun('du', I),
    dH: perRun('dH', rmax),
    params: keep(uploadF32(device, 'lm.params', params)),
    grads: buf('grads', layout.total),
    m: buf('m', layout.total),
    v: buf('v', layout.total),
    alphas: keep(uploadF32(device, 'lm.alphas', Float32Array.from(runs, (r) => r.scaling))),
    lossOut: buf('lossOut', R * o.accum * ALIGN),
    evalOut: buf('evalOut', R * Math.max(1, o.evalChunks) * ALIGN),
    stats: buf('stats', R * ALIGN),
    clipCoefs: keep(uploadF32(device, 'lm.clipCoefs', new Float32Array(R * ALIGN).fill(1))),
    watch: buf('watch', R * ALIGN),
    all,
  };
}

function need(t: Float32Array | null, module: string, which: string): Float32Array {
  if (!t) throw new Error(`language model trainer: ${module} is LoRA-trained but its initial ${which} is missing`);
  return t;
}
