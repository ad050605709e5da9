/**
 * Matmul throughput: our tiled kernel (src/gpu/kernels/matmul.ts) against TensorFlow.js WebGPU
 * `tf.matMul` and against our naive one-thread-per-output kernel, in GFLOP/s = 2 M N K / time.
 * Shapes are written MxKxN: A (M, K) times B (K, N), row-major, no transposes.
 */
import { matmul } from '../src/gpu/kernels/matmul';
import { matmulNaive } from '../src/gpu/kernels/matmul_naive';
import { readF32, uploadF32 } from '../src/gpu/buffers';
import type { Dispatch } from '../src/gpu/dispatch';
import { Rng } from '../src/rng';
import { checkClose, sampleIndices } from './check';
import { tfSync, tfWebgpu } from './tfjs';
import { plan, row, runGpu, timeReps, type RepPlan } from './timing';
import type { BenchContext, Measurement, Row } from './types';

interface Shape {
  M: number;
  K: number;
  N: number;
  /** Too slow for --quick on a software adapter. */
  big?: boolean;
}

const SHAPES: Shape[] = [
  { M: 256, K: 256, N: 256 },
  { M: 512, K: 512, N: 512 },
  { M: 1024, K: 1024, N: 1024, big: true },
  // LoRA with batch 256, dIn 512, dOut 512, r 16: H = X A^T, then H B^T, and dB = G^T H (transpose left out).
  { M: 256, K: 512, N: 16 },
  { M: 256, K: 16, N: 512 },
  { M: 512, K: 256, N: 16 },
];

const SAMPLES = 256;

/** C sampled at `idx` in float64 from the f32 inputs. */
function refSamples(s: Shape, a: Float32Array, b: Float32Array, idx: number[]): Float64Array {
  return Float64Array.from(idx, (flat) => {
    const i = Math.floor(flat / s.N);
    const j = flat % s.N;
    let acc = 0;
    for (let k = 0; k < s.K; k++) acc += a[i * s.K + k] * b[k * s.N + j];
    return acc;
  });
}

async function measureShape(ctx: BenchContext, s: Shape, p: RepPlan): Promise<Row[]> {
  const { device } = ctx;
  const label = `${s.M}x${s.K}x${s.N}`;
  const rng = new Rng(s.M * 7 + s.K * 3 + s.N);
  const a = rng.uniforms(s.M * s.K, -1, 1);
  const b = rng.uniforms(s.K * s.N, -1, 1);
  const idx = sampleIndices(s.M * s.N, SAMPLES);
  const want = refSamples(s, a, b, idx);
  // f32 accumulation over K terms of size <= 1: the error bound grows with K.
  const tol = { atol: 1e-5 + 1e-6 * s.K, rtol: 1e-4 };

  const ba = uploadF32(device, `bench.A(${s.M}x${s.K})`, a);
  const bb = uploadF32(device, `bench.B(${s.K}x${s.N})`, b);
  const bc = uploadF32(device, `bench.C(${s.M}x${s.N})`, new Float32Array(s.M * s.N));
  const ours: Dispatch = matmul(device, { M: s.M, N: s.N, K: s.K }, ba, bb, bc);
  const naive: Dispatch = matmulNaive(device, { M: s.M, N: s.N, K: s.K }, ba, bb, bc);

  const timeOurs = async (d: Dispatch, name: string) => {
    device.queue.writeBuffer(bc, 0, new Float32Array(s.M * s.N));
    await runGpu(device, [d], 1);
    const c = await readF32(device, bc, s.M * s.N);
    checkClose(idx.map((i) => c[i]), want, tol, `${name} ${label}`);
    ctx.log(`  ${name} ${label}: check ok, timing`);
    return timeReps((iters) => runGpu(device, [d], iters), p);
  };

  const tf = await tfWebgpu();
  const ta = tf.tensor2d(a, [s.M, s.K]);
  const tb = tf.tensor2d(b, [s.K, s.N]);
  const timeTf = async () => {
    const tc = tf.matMul(ta, tb);
    const c = await tc.data();
    tc.dispose();
    checkClose(idx.map((i) => c[i]), want, tol, `tfjs ${label}`);
    ctx.log(`  tfjs ${label}: check ok, timing`);
    return timeReps(async (iters) => {
      let last: ReturnType<typeof tf.matMul> | null = null;
      for (let i = 0; i < iters; i++) {
        last?.dispose();
        last = tf.matMul(ta, tb);
      }
      await tfSync(last!);
      last!.dispose();
    }, p);
  };

  try {
    const o = await timeOurs(ours, 'ours');
    const n = await timeOurs(naive, 'naive');
    const t = await timeTf();
    const work = (2 * s.M * s.N * s.K) / 1e9;
    return [
      row('matmul vs tfjs', label, 'GFLOP/s', work, o, t, 'MxKxN; peer = tf.matMul (tfjs-backend-webgpu 4.22)'),
      row('matmul vs naive', label, 'GFLOP/s', work, o, n, 'MxKxN; peer = matmul_naive.wgsl'),
    ];
  } finally {
    ta.dispose();
    tb.dispose();
    ba.destroy();
    bb.destroy();
    bc.destroy();
  }
}

export const matmulBench: Measurement = {
  name: 'matmul',
  async run(ctx) {
    const rows: Row[] = [];
    for (const s of SHAPES) {
      if (s.big && ctx.quick) continue;
      ctx.log(`matmul ${s.M}x${s.K}x${s.N}`);
      try {
        rows.push(...(await measureShape(ctx, s, plan(ctx))));
      } catch (e) {
        ctx.fail(e); // a failed check skips this shape's timings, not the other shapes
      }
    }
    return rows;
  },
};
