import { describe, expect, it } from 'vitest';
import { chooseTile, matmul, type MatmulOptions, type MatmulShape, type TileConfig } from './matmul';
import { matmulNaive } from './matmul_naive';
import { matmulRef } from '../../ref/matmul';
import { readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { pipelineCount } from '../pipelines';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { goldenMatmul } from '../../test/golden';
import { Rng } from '../../rng';

// f32 accumulation of K products of N(0,1) terms: the error grows like sqrt(K); 1e-5 covers K <= 129
// with room to spare, rtol catches anything proportional.
const TOL = { atol: 1e-5, rtol: 1e-4 };
const TRANS = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

interface Extra {
  alpha?: number;
  accumulate?: boolean;
  bias?: boolean;
  tile?: TileConfig;
}

/** Run one matmul (tiled or naive) on random data and compare with the float64 reference. */
async function check(shape: MatmulShape, extra: Extra = {}, naive = false, seed = 1) {
  const device = await testDevice();
  const { M, N, K } = shape;
  const rng = new Rng(seed * 1000 + M * 31 + N * 7 + K);
  const a = rng.normals(M * K);
  const b = rng.normals(K * N);
  const bias = rng.normals(N);
  const c0 = rng.normals(M * N); // what accumulate adds onto; overwritten otherwise
  const ba = uploadF32(device, 'A', a);
  const bb = uploadF32(device, 'B', b);
  const bc = uploadF32(device, 'C', c0);
  const opts: MatmulOptions = { alpha: extra.alpha, accumulate: extra.accumulate, tile: extra.tile };
  if (extra.bias) opts.bias = uploadF32(device, 'bias', bias);
  await withErrorScope(device, () =>
    runDispatches(device, [naive ? matmulNaive(device, shape, ba, bb, bc) : matmul(device, shape, ba, bb, bc, opts)]),
  );
  const want = matmulRef(shape, a, b, { alpha: extra.alpha, bias: extra.bias ? bias : undefined, accumulate: extra.accumulate ? c0 : undefined });
  const tag = `${naive ? 'naive ' : ''}${M}x${N}x${K} tA=${!!shape.transA} tB=${!!shape.transB} ${JSON.stringify(extra.tile ?? chooseTile(M, N, K))}`;
  assertClose(await readF32(device, bc, M * N), want, TOL, tag);
}

// Every dimension takes each of 1, 3, 17, 63, 64, 65, 129 (rotated, so that shapes stay small).
const SIZES = [1, 3, 17, 63, 64, 65, 129];
const AWKWARD = SIZES.map((M, i) => ({ M, N: SIZES[(i + 1) % 7], K: SIZES[(i + 2) % 7] }));

// Forced tiles: every register block (4/8 x 4/8), thread shapes from 1x1 to 16x16 (1-wide, skinny, square),
// every K slice (4..32), and the ones chooseTile picks for square and skinny shapes.
const TILES: TileConfig[] = [
  { wgM: 1, wgN: 1, tileK: 4, rm: 4, rn: 4 },
  { wgM: 1, wgN: 16, tileK: 8, rm: 4, rn: 8 },
  { wgM: 16, wgN: 1, tileK: 16, rm: 8, rn: 4 },
  { wgM: 2, wgN: 8, tileK: 32, rm: 8, rn: 8 },
  { wgM: 8, wgN: 2, tileK: 32, rm: 8, rn: 8 },
  { wgM: 4, wgN: 4, tileK: 32, rm: 8, rn: 8 },
  { wgM: 8, wgN: 8, tileK: 32, rm: 8, rn: 8 },
  { wgM: 16, wgN: 16, tileK: 16, rm: 4, rn: 4 },
  { wgM: 16, wgN: 16, tileK: 8, rm: 8, rn: 8 },
  { wgM: 3, wgN: 5, tileK: 12, rm: 4, rn: 8 },
];

describe('tiled matmul on WebGPU', () => {
  it.each(goldenMatmul.cases.map((c) => [`${c.M}x${c.K}x${c.N}${c.transA ? ' tA' : ''}${c.transB ? ' tB' : ''}`, c] as const))(
    'matches the PyTorch golden case %s (MxKxN)',
    async (_, c) => {
      const device = await testDevice();
      const ba = uploadF32(device, 'A', c.A.data);
      const bb = uploadF32(device, 'B', c.B.data);
      const bc = uploadF32(device, 'C', new Float32Array(c.M * c.N));
      await withErrorScope(device, () => runDispatches(device, [matmul(device, c, ba, bb, bc)]));
      assertClose(await readF32(device, bc, c.M * c.N), c.C.data, TOL, 'C');
    },
  );

  it.each(AWKWARD.map((s) => [`${s.M}x${s.N}x${s.K}`, s] as const))(
    'M x N x K = %s, all transposes, with alpha / accumulate / bias, default tile',
    async (_, s) => {
      for (const [i, [transA, transB]] of TRANS.entries()) {
        const extra: Extra = { alpha: [1, -0.5, 2.5, 1][i], accumulate: i % 2 === 1, bias: i >= 2 };
        await check({ ...s, transA, transB }, extra);
      }
    },
  );

  it.each(TILES.map((t, i) => [JSON.stringify(t), t, i] as const))('forced tile %s is correct on edge shapes', async (_, tile, i) => {
    // 67, 37 and 45 are multiples of no tile side or K slice; the transposes cycle over the tiles.
    const [transA, transB] = TRANS[i % 4];
    await check({ M: 67, N: 37, K: 45, transA, transB }, { tile, alpha: 0.25, bias: true });
    await check({ M: 37, N: 67, K: 33, transA: !transA, transB }, { tile, accumulate: true });
  });

  it('folds more than 65535 row tiles into the z dimension', async () => {
    // 1x1 threads with 4x4 blocks: 65537 row tiles, so the grid is (1, 32769, 2).
    await check({ M: 4 * 65535 + 5, N: 3, K: 2 }, { tile: { wgM: 1, wgN: 1, tileK: 4, rm: 4, rn: 4 } });
  });

  it('compiles each tile variant once (pipeline cache)', async () => {
    const device = await testDevice();
    const buf = uploadF32(device, 'x', new Float32Array(64));
    matmul(device, { M: 8, N: 8, K: 8 }, buf, buf, uploadF32(device, 'y', new Float32Array(64)));
    const before = pipelineCount(device);
    for (let i = 0; i < 3; i++) matmul(device, { M: 8, N: 8, K: 8 }, buf, buf, uploadF32(device, 'y', new Float32Array(64)), { alpha: i });
    expect(pipelineCount(device)).toBe(before);
  });
});

describe('naive matmul (benchmark baseline) on WebGPU', () => {
  it.each([
    { M: 1, N: 1, K: 1 },
    { M: 17, N: 3, K: 65 },
    { M: 63, N: 64, K: 9 },
  ])('matches the reference for $M x $N x $K, all transposes', async (s) => {
    for (const [transA, transB] of TRANS) await check({ ...s, transA, transB }, {}, true);
  });
});
