/** Launcher for shaders/embedding.wgsl: rows of an embedding table gathered by token id, and the table's gradient. */
import code from '../../../shaders/embedding.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { grid1d } from '../util';

const WG = 256;

/** out (rows, dim) = E[tokens] for a u32 token buffer and E (vocab, dim). */
export function embeddingForward(device: GPUDevice, rows: number, dim: number, vocab: number, tokens: BufferRef, table: BufferRef, out: BufferRef): Dispatch {
  const pipeline = getPipeline(device, 'embedding', code, { WG }, 'main');
  const params = createUniformBuffer(device, `embedding.params(${rows}x${dim})`, [['u32', rows], ['u32', dim], ['u32', vocab]]);
  return {
    label: `embedding(${rows}x${dim})`,
    pipeline,
    bindGroup: makeBindGroup(device, 'embedding', pipeline, [params, tokens, table, out]),
    workgroups: grid1d(rows * dim, WG),
  };
}

/** dE (vocab, dim) = the sum of dOut's rows (rows, dim) by token id, in row order (deterministic). */
export function embeddingBackward(device: GPUDevice, rows: number, dim: number, vocab: number, tokens: BufferRef, dOut: BufferRef, dE: BufferRef): Dispatch {
  const pipeline = getPipeline(device, 'embedding', code, { WG }, 'backward');
  const params = createUniformBuffer(device, `embedding.bwd.params(${rows}x${dim})`, [['u32', rows], ['u32', dim], ['u32', vocab]]);
  return {
    label: `embedding.backward(${vocab}x${dim})`,
    pipeline,
    bindGroup: makeBindGroup(device, 'embedding.backward', pipeline, [params, tokens, dOut, dE]),
    workgroups: grid1d(vocab * dim, WG),
  };
}
