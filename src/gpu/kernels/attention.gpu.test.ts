import { describe, it } from 'vitest';
import { attentionBackward, attentionForward, type AttentionShape } from './attention';
import * as ref from '../../ref/attention';
import { readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { Rng } from '../../rng';

describe('causal attention on WebGPU', () => {
  // one position per sequence, odd heads on one kv head (multi-query), grouped heads, the largest head dim
  it.each<AttentionShape>([
    { rows: 3, seq: 1, heads: 1, kvHeads: 1, headDim: 2 },
    { rows: 10, seq: 5, heads: 3, kvHeads: 1, headDim: 3 },
    { rows: 34, seq: 17, heads: 4, kvHeads: 2, headDim: 16 },
    { rows: 8, seq: 8, heads: 2, kvHeads: 2, headDim: 64 },
  ])('%j: forward and backward equal the reference', async (s) => {
    const device = await testDevice();
    const rng = new Rng(s.rows * 7 + s.heads + s.headDim);
    const nq = s.rows * s.heads * s.headDim;
    const nkv = s.rows * s.kvHeads * s.headDim;
    const [q, k, v, dO] = [rng.normals(nq), rng.normals(nkv), rng.normals(nkv), rng.normals(nq)];
    const want = ref.attentionForward(s, q, k, v);
    const grads = ref.attentionBackward(s, q, k, v, want.o, want.lse, dO);
    const up = (name: string, x: ArrayLike<number>) => uploadF32(device, name, x);
    const zeros = (name: string, n: number) => up(name, new Float32Array(n));
    const b = { q: up('q', q), k: up('k', k), v: up('v', v), o: zeros('o', nq), lse: zeros('lse', s.rows * s.heads) };
    const g = { ...b, dO: up('dO', dO), dq: zeros('dq', nq), dk: zeros('dk', nkv), dv: zeros('dv', nkv), dsum: zeros('dsum', s.rows * s.heads) };
    await withErrorScope(device, () => runDispatches(device, [attentionForward(device, s, b), ...attentionBackward(device, s, g)]));
    const tol = { atol: 1e-5, rtol: 1e-4 };
    assertClose(await readF32(device, b.o, nq), want.o, tol, 'o');
    assertClose(await readF32(device, b.lse, s.rows * s.heads), want.lse, tol, 'lse');
    assertClose(await readF32(device, g.dq, nq), grads.dq, tol, 'dq');
    assertClose(await readF32(device, g.dk, nkv), grads.dk, tol, 'dk');
    assertClose(await readF32(device, g.dv, nkv), grads.dv, tol, 'dv');
  });
});
