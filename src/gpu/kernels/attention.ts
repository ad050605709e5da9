/** Launcher for shaders/attention.wgsl: causal softmax attention forward and backward (grouped heads). */
import code from '../../../shaders/attention.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { grid1d } from '../util';
import type { AttentionShape } from '../../ref/attention';

export type { AttentionShape };

const WG = 64;
/** The largest head dimension the shader's private accumulators hold. */
export const MAX_HEAD_DIM = 64;

function check(s: AttentionShape): void {
  const ok = [s.rows, s.seq, s.heads, s.kvHeads, s.headDim].every((x) => Number.isInteger(x) && x >= 1) && s.rows % s.seq === 0 && s.heads % s.kvHeads === 0;
  if (!ok) throw new Error(`attention: invalid shape ${JSON.stringify(s)} (rows a multiple of seq, heads a multiple of kvHeads)`);
  if (s.headDim > MAX_HEAD_DIM) throw new Error(`attention: head dimension ${s.headDim} is over ${MAX_HEAD_DIM}`);
}

function params(device: GPUDevice, s: AttentionShape): GPUBuffer {
  return createUniformBuffer(device, `attention.params(${s.rows}x${s.heads}x${s.headDim})`, [
    ['u32', s.rows],
    ['u32', s.seq],
    ['u32', s.heads],
    ['u32', s.kvHeads],
    ['u32', s.headDim],
    ['f32', 1 / Math.sqrt(s.headDim)],
    ['u32', s.headDim / lanesOf(s)],
  ]);
}

/** vec4 lanes when the head dimension allows (every vector then starts on a 16-byte boundary). */
const lanesOf = (s: AttentionShape): 1 | 4 => (s.headDim % 4 === 0 ? 4 : 1);
/** The vec4 variant: Elem = vec4f, and the private accumulators sized in vec4s (MAXD = 64 / 4). */
const CODE4 = code.replace('alias Elem = f32;', 'alias Elem = vec4f;').replace('const MAXD: u32 = 64u;', `const MAXD: u32 = ${MAX_HEAD_DIM / 4}u;`);
function pipelineOf(device: GPUDevice, s: AttentionShape, entry: string): GPUComputePipeline {
  return lanesOf(s) === 4 ? getPipeline(device, 'attention.vec4', CODE4, { WG, LANES: 4 }, entry) : getPipeline(device, 'attention', code, { WG, LANES: 1 }, entry);
}

/** o (rows, heads * d) and lse (rows * heads) from q, k, v. */
export function attentionForward(device: GPUDevice, s: AttentionShape, b: { q: BufferRef; k: BufferRef; v: BufferRef; o: BufferRef; lse: BufferRef }): Dispatch {
  check(s);
  const pipeline = pipelineOf(device, s, 'forward');
  return {
    label: `attention.forward(${s.rows}x${s.heads}x${s.headDim})`,
    pipeline,
    bindGroup: makeBindGroup(device, 'attention.forward', pipeline, [params(device, s), b.q, b.k, b.v, b.o, b.lse]),
    workgroups: grid1d(s.rows * s.heads, WG),
  };
}

export interface AttentionGrads {
  q: BufferRef;
  k: BufferRef;
  v: BufferRef;
  o: BufferRef;
  lse: BufferRef;
  dO: BufferRef;
  dq: BufferRef;
  dk: BufferRef;
  dv: BufferRef;
  /** Scratch (rows * heads): dO_i . o_i, written by the first dispatch, read by the second. */
  dsum: BufferRef;
}

/** dq, dk, dv: two dispatches, in this order. */
export function attentionBackward(device: GPUDevice, s: AttentionShape, b: AttentionGrads): Dispatch[] {
  check(s);
  const u = params(device, s);
  const all = [u, b.q, b.k, b.v, b.o, b.lse, b.dO, b.dq, b.dk, b.dv, b.dsum];
  const entry = (name: 'backward_q' | 'backward_kv', threads: number): Dispatch => {
    const pipeline = pipelineOf(device, s, name);
    // auto layouts keep only the bindings an entry point uses
    const used = name === 'backward_q' ? [0, 1, 2, 3, 4, 5, 6, 7, 10] : [0, 1, 2, 3, 5, 6, 8, 9, 10];
    return {
      label: `attention.${name}(${s.rows}x${s.heads}x${s.headDim})`,
      pipeline,
      bindGroup: device.createBindGroup({
        label: `attention.${name}`,
        layout: pipeline.getBindGroupLayout(0),
        entries: used.map((binding) => ({ binding, resource: 'buffer' in all[binding] ? (all[binding] as GPUBufferBinding) : { buffer: all[binding] as GPUBuffer } })),
      }),
      workgroups: grid1d(threads, WG),
    };
  };
  return [entry('backward_q', s.rows * s.heads), entry('backward_kv', s.rows * s.kvHeads)];
}
