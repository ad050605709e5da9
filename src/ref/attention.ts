/**
 * Causal softmax attention (the spec of shaders/attention.wgsl), as transformers' eager Llama attention:
 * rows are tokens of sequences of `seq` positions laid end to end (a token attends to the earlier tokens
 * of its own sequence and itself); q (rows, heads * d), k and v (rows, kvHeads * d); query head h reads
 * key/value head floor(h / (heads / kvHeads)) (grouped-query attention); scores scaled by 1/sqrt(d).
 *   forward:  P = softmax(q k^T / sqrt(d) + causal mask), o = P v; also lse = log sum exp of each score row
 *   backward: D_i = dO_i . o_i, dS_ij = P_ij (dO_i . v_j - D_i),
 *             dq_i = sum_j dS_ij k_j / sqrt(d), dk_j = sum_i dS_ij q_i / sqrt(d), dv_j = sum_i P_ij dO_i
 * (dk and dv sum over every query head of the key/value head's group).
 */
export interface AttentionShape {
  rows: number;
  /** Positions per sequence (rows is a multiple of it). */
  seq: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

interface Index {
  q: (i: number, h: number, e: number) => number;
  kv: (j: number, h: number, e: number) => number;
  o: (i: number, h: number) => number;
  group: number;
  scale: number;
}

function index(s: AttentionShape): Index {
  const d = s.headDim;
  if (s.rows % s.seq !== 0 || s.heads % s.kvHeads !== 0) throw new Error('attention: rows must be a multiple of seq and heads of kvHeads');
  return {
    q: (i, h, e) => (i * s.heads + h) * d + e,
    kv: (j, h, e) => (j * s.kvHeads + h) * d + e,
    o: (i, h) => i * s.heads + h,
    group: s.heads / s.kvHeads,
    scale: 1 / Math.sqrt(d),
  };
}

/** The first row of the sequence that row i belongs to. */
const start = (i: number, seq: number) => i - (i % seq);

function scoreRow(s: AttentionShape, ix: Index, q: ArrayLike<number>, k: ArrayLike<number>, i: number, h: number): Float64Array {
  const j0 = start(i, s.seq);
  const kh = Math.floor(h / ix.group);
  const out = new Float64Array(i - j0 + 1);
  for (let j = j0; j <= i; j++) {
    let dot = 0;
    for (let e = 0; e < s.headDim; e++) dot += q[ix.q(i, h, e)] * k[ix.kv(j, kh, e)];
    out[j - j0] = dot * ix.scale;
  }
  return out;
}

export function attentionForward(s: AttentionShape, q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>): { o: Float64Array; lse: Float64Array } {
  const ix = index(s);
  const d = s.headDim;
  const o = new Float64Array(s.rows * s.heads * d);
  const lse = new Float64Array(s.rows * s.heads);
  for (let i = 0; i < s.rows; i++)
    for (let h = 0; h < s.heads; h++) {
      const sc = scoreRow(s, ix, q, k, i, h);
      const max = Math.max(...sc);
      const l = max + Math.log(sc.reduce((a, x) => a + Math.exp(x - max), 0));
      lse[ix.o(i, h)] = l;
      const j0 = start(i, s.seq);
      const kh = Math.floor(h / ix.group);
      for (let j = j0; j <= i; j++) {
        const p = Math.exp(sc[j - j0] - l);
        for (let e = 0; e < d; e++) o[ix.q(i, h, e)] += p * v[ix.kv(j, kh, e)];
      }
    }
  return { o, lse };
}

export function attentionBackward(
  s: AttentionShape,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  o: ArrayLike<number>,
  lse: ArrayLike<number>,
  dO: ArrayLike<number>,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const ix = index(s);
  const d = s.headDim;
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  for (let i = 0; i < s.rows; i++)
    for (let h = 0; h < s.heads; h++) {
      const sc = scoreRow(s, ix, q, k, i, h);
      const j0 = start(i, s.seq);
      const kh = Math.floor(h / ix.group);
      let D = 0;
      for (let e = 0; e < d; e++) D += dO[ix.q(i, h, e)] * o[ix.q(i, h, e)];
      for (let j = j0; j <= i; j++) {
        const p = Math.exp(sc[j - j0] - lse[ix.o(i, h)]);
        let dp = 0;
        for (let e = 0; e < d; e++) dp += dO[ix.q(i, h, e)] * v[ix.kv(j, kh, e)];
        const ds = p * (dp - D);
        for (let e = 0; e < d; e++) {
          dq[ix.q(i, h, e)] += ds * k[ix.kv(j, kh, e)] * ix.scale;
          dk[ix.kv(j, kh, e)] += ds * q[ix.q(i, h, e)] * ix.scale;
          dv[ix.kv(j, kh, e)] += p * dO[ix.q(i, h, e)];
        }
      }
    }
  return { dq, dk, dv };
}
