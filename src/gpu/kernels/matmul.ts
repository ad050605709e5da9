/**
 * Launcher for shaders/matmul.wgsl: C = alpha * op(A) op(B) (+ bias) (+ C), tiled through workgroup
 * memory with register blocks per thread. The tile is a pipeline variant picked by chooseTile.
 */
import code from '../../../shaders/matmul.wgsl?raw';
import { getPipeline } from '../pipelines';
import type { MatmulShape } from '../../ref/matmul';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer } from '../uniforms';
import { createGpuBuffer } from '../buffers';
import { ceilDiv, MAX_WORKGROUPS_PER_DIM } from '../util';
import { isSoftwareDevice } from '../device';

/** M, N, K and the transposes: the reference's shape type (src/ref/matmul.ts), the one definition. */
export type { MatmulShape };

/**
 * One pipeline variant: wgM x wgN threads, each computing an rm x rn block of C (4 or 8 each), so the
 * workgroup's tile of C is (wgM rm) x (wgN rn); K is staged tileK at a time.
 */
export interface TileConfig {
  wgM: number;
  wgN: number;
  tileK: number;
  rm: 4 | 8;
  rn: 4 | 8;
}

export interface MatmulOptions {
  /** Fixed at creation (it lives in the dispatch's uniform buffer). */
  alpha?: number;
  /** C = ... + C (read-modify-write of the output). */
  accumulate?: boolean;
  /** Length-N vector added to every row. */
  bias?: BufferRef;
  /** Force a tile configuration (tests, benchmarks); default chooseTile(M, N, K) for the device's adapter. */
  tile?: TileConfig;
  label?: string;
  /** Many matmuls of the same shape in one dispatch (a sweep's runs); see MatmulBatch. */
  batch?: MatmulBatch;
}

/**
 * Batch b multiplies the operands starting at offsetX + b * strideX (elements of the bound buffers;
 * stride 0 = one operand shared by every batch), and scales by alpha * alphas[b] when alphas is given.
 */
export interface MatmulBatch {
  count: number;
  strideA: number;
  strideB: number;
  strideC: number;
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
  alphas?: BufferRef;
  /** Where batch b's bias starts: offsetBias + b * strideBias (stride 0: one bias shared by all). */
  offsetBias?: number;
  strideBias?: number;
}

/** Limits every tile respects (WebGPU's guaranteed minimums are 256 invocations and 16 KiB). */
export const MAX_THREADS = 256;
export const MAX_WORKGROUP_BYTES = 16384;

/** Bytes of workgroup memory a tile uses: As (tileK x wgM rm) and Bs (tileK x wgN rn), f32. */
export function tileWorkgroupBytes(t: TileConfig): number {
  return (t.wgM * t.rm + t.wgN * t.rn) * t.tileK * 4;
}

const pow2ceil = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(1, x)));

/**
 * Pure: the tile for a shape, on a hardware GPU or a software adapter (SwiftShader: workgroups run on CPU
 * threads, every workgroup-memory read is a per-lane gather, and a barrier switches between the
 * workgroup's SIMD groups, so reads per FMA and threads per workgroup decide the speed):
 * - 8x8 blocks per thread: each k step reads 4 vec4s of workgroup memory for 64 FMAs (4x4 blocks ran at
 *   about half the speed); 4-wide blocks only where a side has at most 4 elements (r = 4, M = 1, a column).
 * - A short side (LoRA's r, a bias column) is covered tightly: tile padding is computed and read for nothing.
 * - Threads per workgroup side, at most: hardware 4 for mid-size shapes, 8 from 512x512 outputs on;
 *   software 4, and 2 when K <= 64 (few multiply-adds per staged slice: the barriers dominate). A skinny
 *   shape moves the short side's unused threads to the long side.
 * - tileK: the next power of two >= K, 4..32 (32 beat 8, 16 and 64), halved until the tile fits in 16 KiB.
 * Measured on SwiftShader (headless Chromium, 2 cores; `npm run bench -- --only tiles`, two runs), GFLOP/s
 * of the software choice against the hardware one: 1024x1024x64 0.65-0.73 vs 0.29-0.31; 16 x (512x64x64)
 * 0.64-0.67 vs 0.54; 16 x (64x64x64) 0.61-0.71 vs 0.44; 512x512x512 0.95-0.99 vs 0.90; 1024x1024x1024
 * 0.99-1.57 vs 1.07-1.21 (within the noise).
 */
export function chooseTile(M: number, N: number, K: number, adapter: 'hardware' | 'software' = 'hardware'): TileConfig {
  const rm = M <= 4 ? 4 : 8;
  const rn = N <= 4 ? 4 : 8;
  const cap = adapter === 'software' ? (K <= 64 ? 2 : 4) : M * N >= 512 * 512 ? 8 : 4;
  let wgM = Math.min(cap, pow2ceil(M / rm));
  let wgN = Math.min(cap, pow2ceil(N / rn));
  while (wgM * wgN < cap * cap) {
    if (wgM * rm < M && (wgM <= wgN || wgN * rn >= N)) wgM *= 2;
    else if (wgN * rn < N) wgN *= 2;
    else break;
  }
  const tile: TileConfig = { wgM, wgN, tileK: Math.min(32, Math.max(4, pow2ceil(K))), rm, rn };
  while (tileWorkgroupBytes(tile) > MAX_WORKGROUP_BYTES) tile.tileK /= 2;
  return tile;
}

function checkTile(t: TileConfig): void {
  const ok =
    Number.isInteger(t.wgM) && Number.isInteger(t.wgN) && t.wgM >= 1 && t.wgN >= 1 && t.wgM * t.wgN <= MAX_THREADS &&
    (t.rm === 4 || t.rm === 8) && (t.rn === 4 || t.rn === 8) &&
    Number.isInteger(t.tileK) && t.tileK >= 4 && t.tileK % 4 === 0 && tileWorkgroupBytes(t) <= MAX_WORKGROUP_BYTES;
  if (!ok) {
    throw new Error(`matmul: invalid tile ${JSON.stringify(t)} (wgM*wgN <= ${MAX_THREADS}, rm/rn 4 or 8, tileK a multiple of 4, <= 16 KiB)`);
  }
}

// One placeholder per device for the unused bias binding (hasBias = 0 in the uniform keeps it unread).
const dummyBias = new WeakMap<GPUDevice, GPUBuffer>();
function noBias(device: GPUDevice): GPUBuffer {
  let buf = dummyBias.get(device);
  if (!buf) {
    buf = createGpuBuffer(device, { label: 'matmul.noBias', size: 16, usage: GPUBufferUsage.STORAGE });
    dummyBias.set(device, buf);
  }
  return buf;
}

/**
 * Grid for row tiles beyond 65535: fold into z (FZ slices per batch); the shader's row tile is
 * wid.y + (wid.z % FZ) * nwg.y and its batch wid.z / FZ.
 */
export function matmulGrid(M: number, N: number, tile: TileConfig, batches = 1): [number, number, number] {
  const gx = ceilDiv(N, tile.wgN * tile.rn);
  const rows = ceilDiv(M, tile.wgM * tile.rm);
  if (gx > MAX_WORKGROUPS_PER_DIM) throw new Error(`matmul: N = ${N} needs more than ${MAX_WORKGROUPS_PER_DIM} column tiles`);
  const fz = ceilDiv(rows, MAX_WORKGROUPS_PER_DIM);
  if (fz * batches > MAX_WORKGROUPS_PER_DIM) throw new Error(`matmul: ${batches} batches of ${rows} row tiles exceed the grid`);
  return [gx, ceilDiv(rows, fz), fz * batches];
}

export function matmul(device: GPUDevice, shape: MatmulShape, a: BufferRef, b: BufferRef, c: BufferRef, opts: MatmulOptions = {}): Dispatch {
  const { M, N, K } = shape;
  const transA = shape.transA ?? false;
  const transB = shape.transB ?? false;
  const tile = opts.tile ?? chooseTile(M, N, K, isSoftwareDevice(device) ? 'software' : 'hardware');
  checkTile(tile);
  const accumulate = opts.accumulate ?? false;
  // accumulate is a pipeline variant, not a uniform flag: the store without a branch on it compiles
  // smaller, and compile time is what a new shape costs on a software adapter.
  const overrides = { TRANS_A: transA, TRANS_B: transB, ACC: accumulate, WG_M: tile.wgM, WG_N: tile.wgN, TK: tile.tileK, RM: tile.rm, RN: tile.rn };
  const pipeline = getPipeline(device, 'matmul', code, overrides);
  const desc = `${M}x${N}x${K}${transA ? ',tA' : ''}${transB ? ',tB' : ''}${accumulate ? ',acc' : ''}`;
  const label = opts.label ?? `matmul(${desc})`;
  const batch = opts.batch;
  const count = batch?.count ?? 1;
  const grid = matmulGrid(M, N, tile, count);
  const params = createUniformBuffer(device, `${label}.params`, [
    ['u32', M],
    ['u32', N],
    ['u32', K],
    ['f32', opts.alpha ?? 1],
    ['u32', opts.bias ? 1 : 0],
    ['u32', grid[2] / count],
    ['u32', batch?.alphas ? 1 : 0],
    ['u32', batch?.offsetA ?? 0],
    ['u32', batch?.offsetB ?? 0],
    ['u32', batch?.offsetC ?? 0],
    ['u32', batch?.strideA ?? 0],
    ['u32', batch?.strideB ?? 0],
    ['u32', batch?.strideC ?? 0],
    ['u32', batch?.offsetBias ?? 0],
    ['u32', batch?.strideBias ?? 0],
  ]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(device, label, pipeline, [a, b, c, opts.bias ?? noBias(device), params, batch?.alphas ?? noBias(device)]),
    workgroups: grid,
    flops: 2 * M * N * K * count,
  };
}
