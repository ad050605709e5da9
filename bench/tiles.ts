/**
 * Tile choice for the matmul (`--only tiles`; not in the default run): GFLOP/s of several tile
 * configurations on the shapes the engine and the matmul row use, against the tile chooseTile picks.
 * The figures behind chooseTile's rules come from here.
 */
import { chooseTile, matmul, type TileConfig } from '../src/gpu/kernels/matmul';
import { isSoftwareDevice } from '../src/gpu/device';
import { uploadF32 } from '../src/gpu/buffers';
import { Rng } from '../src/rng';
import { plan, runGpu, timeReps } from './timing';
import type { Measurement, Row } from './types';

interface Case {
  M: number;
  N: number;
  K: number;
  batch: number;
  transA?: boolean;
  transB?: boolean;
}

const CASES: Case[] = [
  { M: 512, N: 512, K: 512, batch: 1 },
  { M: 1024, N: 1024, K: 1024, batch: 1 },
  // Small K: a fixed cost per output weighs as much as the multiply-adds.
  { M: 1024, N: 1024, K: 64, batch: 1 },
  // A sweep group's frozen products (16 runs, batch 64 and an eval chunk of 512 rows, n 64) and the
  // LoRA up product (K = r).
  { M: 64, N: 64, K: 64, batch: 16, transB: true },
  { M: 512, N: 64, K: 64, batch: 16, transB: true },
  { M: 512, N: 64, K: 8, batch: 16, transB: true },
];

const CANDIDATES: TileConfig[] = [
  { wgM: 2, wgN: 2, tileK: 8, rm: 8, rn: 8 },
  { wgM: 2, wgN: 2, tileK: 32, rm: 8, rn: 8 },
  { wgM: 4, wgN: 4, tileK: 32, rm: 8, rn: 8 },
  { wgM: 8, wgN: 4, tileK: 32, rm: 8, rn: 8 },
  { wgM: 8, wgN: 8, tileK: 16, rm: 8, rn: 8 },
  { wgM: 8, wgN: 8, tileK: 32, rm: 8, rn: 8 },
  { wgM: 16, wgN: 8, tileK: 16, rm: 8, rn: 8 },
  { wgM: 8, wgN: 8, tileK: 32, rm: 4, rn: 4 },
];

const tileName = (t: TileConfig) => `${t.wgM}x${t.wgN}t${t.tileK}r${t.rm}${t.rn}`;

export const tilesBench: Measurement = {
  name: 'tiles',
  async run(ctx) {
    const { device } = ctx;
    const rows: Row[] = [];
    const p = plan(ctx);
    for (const c of CASES) {
      const rng = new Rng(c.M + c.N + c.K);
      const a = uploadF32(device, 'tiles.A', rng.uniforms(c.batch * c.M * c.K, -1, 1));
      const b = uploadF32(device, 'tiles.B', rng.uniforms(c.batch * c.K * c.N, -1, 1));
      const out = uploadF32(device, 'tiles.C', new Float32Array(c.batch * c.M * c.N));
      const batch = c.batch > 1 ? { count: c.batch, strideA: c.M * c.K, strideB: 0, strideC: c.M * c.N } : undefined;
      const shape = { M: c.M, N: c.N, K: c.K, transA: c.transA, transB: c.transB };
      const gflop = (2 * c.batch * c.M * c.N * c.K) / 1e9;
      const label = `${c.batch > 1 ? `${c.batch}x ` : ''}${c.M}x${c.K}x${c.N}${c.transB ? ' tB' : ''}`;
      const chosen = chooseTile(c.M, c.N, c.K, isSoftwareDevice(device) ? 'software' : 'hardware');
      const time = async (t: TileConfig) => {
        const d = matmul(device, shape, a, b, out, { tile: t, batch });
        await runGpu(device, [d], 1);
        return timeReps((iters) => runGpu(device, [d], iters), p);
      };
      const base = await time(chosen);
      const rate = (ms: number) => gflop / (ms / 1000);
      ctx.log(`  ${label}: chosen ${tileName(chosen)} ${rate(base.medianMs).toFixed(2)} GFLOP/s`);
      for (const t of CANDIDATES) {
        let s;
        try {
          s = await time(t);
        } catch (e) {
          ctx.log(`  ${label}: ${tileName(t)} failed ${String(e)}`);
          continue;
        }
        ctx.log(`  ${label}: ${tileName(t)} ${rate(s.medianMs).toFixed(2)} GFLOP/s`);
        rows.push({ name: `tile ${tileName(t)} vs chosen`, shape: label, ours: rate(s.medianMs), oursBest: rate(s.minMs), peer: rate(base.medianMs), peerBest: rate(base.minMs), ratio: base.medianMs / s.medianMs, unit: 'GFLOP/s', note: `chosen ${tileName(chosen)}` });
      }
      a.destroy();
      b.destroy();
      out.destroy();
    }
    return rows;
  },
};
