// Pure parts of the matmul launcher (tile choice, grid), in Node; the kernel itself is tested on WebGPU in
// matmul.gpu.test.ts.
import { describe, expect, it } from 'vitest';
import { chooseTile, matmulGrid, MAX_THREADS, MAX_WORKGROUP_BYTES, tileWorkgroupBytes, type TileConfig } from './matmul';
import { MAX_WORKGROUPS_PER_DIM } from '../util';

const dims = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 256, 512, 1000, 1024, 4096];

function valid(t: TileConfig) {
  expect(t.wgM * t.wgN).toBeLessThanOrEqual(MAX_THREADS);
  expect(t.wgM).toBeGreaterThanOrEqual(1);
  expect(t.wgN).toBeGreaterThanOrEqual(1);
  expect([4, 8]).toContain(t.rm);
  expect([4, 8]).toContain(t.rn);
  expect(t.tileK % 4).toBe(0);
  expect(tileWorkgroupBytes(t)).toBeLessThanOrEqual(MAX_WORKGROUP_BYTES);
}

describe('chooseTile', () => {
  it('gives a valid tile for every shape, on either kind of adapter', () => {
    for (const M of dims) for (const N of dims) for (const K of [1, 3, 4, 16, 17, 64, 512]) valid(chooseTile(M, N, K)), valid(chooseTile(M, N, K, 'software'));
  });

  it('on a software adapter: at most 4x4 threads, 2x2 when K <= 64', () => {
    expect(chooseTile(1024, 1024, 1024, 'software')).toEqual({ wgM: 4, wgN: 4, tileK: 32, rm: 8, rn: 8 });
    expect(chooseTile(1024, 1024, 64, 'software')).toEqual({ wgM: 2, wgN: 2, tileK: 32, rm: 8, rn: 8 });
    expect(chooseTile(512, 64, 8, 'software')).toEqual({ wgM: 2, wgN: 2, tileK: 8, rm: 8, rn: 8 });
    // a skinny shape still moves the short side's threads to the long side
    expect(chooseTile(512, 8, 256, 'software')).toEqual({ wgM: 16, wgN: 1, tileK: 16, rm: 8, rn: 8 });
  });

  it('is deterministic and does not waste a tile side on a short matrix side', () => {
    for (const M of dims)
      for (const N of dims) {
        const t = chooseTile(M, N, 64);
        expect(chooseTile(M, N, 64)).toEqual(t);
        // A tile side is never more than twice the matrix side (padding at most doubles the work)...
        expect(t.wgM * t.rm).toBeLessThan(Math.max(2 * M, 8));
        expect(t.wgN * t.rn).toBeLessThan(Math.max(2 * N, 8));
      }
  });

  it('uses big register blocks on square shapes and 8x8 threads from 512x512 outputs on', () => {
    expect(chooseTile(256, 256, 256)).toEqual({ wgM: 4, wgN: 4, tileK: 32, rm: 8, rn: 8 });
    expect(chooseTile(512, 512, 512)).toEqual({ wgM: 8, wgN: 8, tileK: 32, rm: 8, rn: 8 });
    expect(chooseTile(1024, 1024, 1024)).toEqual({ wgM: 8, wgN: 8, tileK: 32, rm: 8, rn: 8 });
  });

  it('fits skinny LoRA shapes: the short side tight, its threads moved to the long side', () => {
    // H = X A^T (batch 256, dIn 512, r 16) and dB = G^T H (dOut 512): N = r = 16
    expect(chooseTile(256, 16, 512)).toEqual({ wgM: 8, wgN: 2, tileK: 32, rm: 8, rn: 8 });
    expect(chooseTile(512, 16, 256)).toEqual({ wgM: 8, wgN: 2, tileK: 32, rm: 8, rn: 8 });
    // dA = dH^T X: M = r
    expect(chooseTile(16, 512, 256)).toEqual({ wgM: 2, wgN: 8, tileK: 32, rm: 8, rn: 8 });
    // Y += s H B^T: K = r, so the K slice shrinks to r
    expect(chooseTile(256, 512, 16)).toMatchObject({ tileK: 16, rm: 8, rn: 8 });
    expect(chooseTile(256, 512, 4).tileK).toBe(4);
    // r = 4 and a column of ones (db): 4-wide blocks, one thread across
    expect(chooseTile(256, 4, 512)).toMatchObject({ wgN: 1, rn: 4, rm: 8 });
    expect(chooseTile(512, 1, 256)).toMatchObject({ wgN: 1, rn: 4, rm: 8 });
    expect(chooseTile(1, 512, 256)).toMatchObject({ wgM: 1, rm: 4, rn: 8 });
  });
});

describe('matmulGrid', () => {
  it('covers C with tiles', () => {
    const t: TileConfig = { wgM: 2, wgN: 4, tileK: 16, rm: 8, rn: 4 };
    expect(matmulGrid(17, 33, t)).toEqual([3, 2, 1]);
    expect(matmulGrid(1, 1, t)).toEqual([1, 1, 1]);
  });

  it('folds more than 65535 row tiles into z', () => {
    const t: TileConfig = { wgM: 1, wgN: 1, tileK: 4, rm: 4, rn: 4 };
    const M = 4 * MAX_WORKGROUPS_PER_DIM + 5; // 65537 row tiles
    const [gx, gy, gz] = matmulGrid(M, 3, t);
    expect(gx).toBe(1);
    expect(gz).toBe(2);
    expect(gy).toBeLessThanOrEqual(MAX_WORKGROUPS_PER_DIM);
    expect(gy * gz).toBeGreaterThanOrEqual(65537);
  });

  it('refuses more column tiles than one dimension allows', () => {
    const t: TileConfig = { wgM: 1, wgN: 1, tileK: 4, rm: 4, rn: 4 };
    expect(() => matmulGrid(1, 4 * MAX_WORKGROUPS_PER_DIM + 1, t)).toThrow(/column tiles/);
  });
});
