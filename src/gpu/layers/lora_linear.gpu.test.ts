import { describe, it } from 'vitest';
import { loraLinearBackward, loraLinearForward, shared, type LoraLinearShape, type Operand } from './lora_linear';
import { loraLinearBackwardRef, loraLinearForwardRef } from '../../ref/lora_linear';
import { createStorageBuffer, readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { goldenLora } from '../../test/golden';
import { Rng } from '../../rng';

interface Case {
  N: number;
  dIn: number;
  dOut: number;
  r: number;
  scaling: number;
  bias: boolean;
  X: ArrayLike<number>;
  W0: ArrayLike<number>;
  b: ArrayLike<number>;
  A: ArrayLike<number>;
  B: ArrayLike<number>;
  G: ArrayLike<number>;
}

// f32 accumulation over K terms: error grows with sqrt(K) * |terms|.
const tolFor = (K: number) => ({ atol: 2e-6 * Math.sqrt(K), rtol: 1e-4 });

/**
 * The layer over cases.length runs at once (run i = cases[i]; every case has the same shape, X and
 * W0 shared by all runs, as the trainer's frozen base): each run against the reference alone. With
 * `sharedY0`, the LoRA forward takes the frozen product once and broadcasts it.
 */
async function check(cases: Case[], mode: 'lora' | 'full', accumulate: boolean, sharedY0 = false) {
  const device = await testDevice();
  const c0 = cases[0];
  const { N, dIn, dOut, r } = c0;
  const runs = cases.length;
  const sh: LoraLinearShape = { rows: N, dIn, dOut, r, runs, bias: c0.bias };
  const cat = (f: (c: Case) => ArrayLike<number>) => Float32Array.from(cases.flatMap((c) => Array.from(f(c))));
  const per = (name: string, f: (c: Case) => ArrayLike<number>, n: number): Operand => ({ buf: uploadF32(device, name, cat(f)), offset: 0, stride: n });
  const out = (name: string, n: number): Operand => ({ buf: createStorageBuffer(device, name, runs * n * 4), offset: 0, stride: n });
  const X = shared(uploadF32(device, 'X', Float32Array.from(c0.X)));
  const W0: Operand = mode === 'full' ? per('W0', (c) => c.W0, dOut * dIn) : shared(uploadF32(device, 'W0', Float32Array.from(c0.W0)));
  const b: Operand = mode === 'full' ? per('b', (c) => c.b, dOut) : shared(uploadF32(device, 'b', Float32Array.from(c0.b)));
  const A = per('A', (c) => c.A, r * dIn);
  const B = per('B', (c) => c.B, dOut * r);
  const G = per('G', (c) => c.G, N * dOut);
  const H = out('H', N * r);
  const Y = out('Y', N * dOut);
  const dX = out('dX', N * dIn);
  const dH = out('dH', N * r);
  // pre-filled gradients: accumulate must add to them, plain mode must overwrite them
  const prior = new Rng(1);
  const pA = prior.normals(runs * r * dIn);
  const pB = prior.normals(runs * dOut * r);
  const pW = prior.normals(runs * dOut * dIn);
  const pb = prior.normals(runs * dOut);
  const pre = (name: string, p: Float32Array | Float64Array, n: number): Operand => ({ buf: uploadF32(device, name, p), offset: 0, stride: n });
  const dA = pre('dA', pA, r * dIn);
  const dB = pre('dB', pB, dOut * r);
  const dW0 = pre('dW0', pW, dOut * dIn);
  const db = pre('db', pb, dOut);
  const alphas = uploadF32(device, 'alphas', cases.map((c) => c.scaling));
  const Y0 = sharedY0 ? createStorageBuffer(device, 'Y0', N * dOut * 4) : undefined;
  const bufs = { X, W0, b, A, B, H, Y, alphas, Y0 };
  await withErrorScope(device, () =>
    runDispatches(device, [
      ...loraLinearForward(device, sh, bufs, mode),
      ...loraLinearBackward(device, sh, bufs, { G, dX, dH, dA, dB, dW0, db }, mode, { accumulate }),
    ]),
  );
  const read = async (o: Operand, n: number) => readF32(device, o.buf, runs * n);
  const [gY, gH, gdX, gdA, gdB, gdW, gdb] = await Promise.all([read(Y, N * dOut), read(H, N * r), read(dX, N * dIn), read(dA, r * dIn), read(dB, dOut * r), read(dW0, dOut * dIn), read(db, dOut)]);
  for (const [i, c] of cases.entries()) {
    const cut = (a: Float32Array, n: number) => a.subarray(i * n, (i + 1) * n);
    const t = { X: c0.X, W0: mode === 'full' ? c.W0 : c0.W0, b: c.bias ? (mode === 'full' ? c.b : c0.b) : undefined, A: c.A, B: c.B };
    const ref = { N, dIn, dOut, r, scaling: c.scaling };
    const f = loraLinearForwardRef(ref, mode === 'lora' ? t : { ...t, B: new Float64Array(dOut * r) });
    const g = loraLinearBackwardRef(ref, t, c.G);
    const tag = `${mode} run ${i}/${runs} N=${N} dIn=${dIn} dOut=${dOut} r=${r}${accumulate ? ' acc' : ''}${sharedY0 ? ' Y0' : ''}`;
    const plus = (base: ArrayLike<number>, d: Float64Array, n: number) => (accumulate ? d.map((v, j) => v + base[i * n + j]) : d);
    assertClose(cut(gY, N * dOut), f.Y, tolFor(dIn + r), `${tag} Y`);
    if (mode === 'lora') {
      assertClose(cut(gH, N * r), f.H, tolFor(dIn), `${tag} H`);
      assertClose(cut(gdX, N * dIn), g.dX, tolFor(dOut + r), `${tag} dX`);
      assertClose(cut(gdA, r * dIn), plus(pA, g.dA, r * dIn), tolFor(N), `${tag} dA`);
      assertClose(cut(gdB, dOut * r), plus(pB, g.dB, dOut * r), tolFor(N), `${tag} dB`);
    } else {
      const dX0 = g.dX.map((v, j) => v - g.dXA[j]); // full fine-tuning: dX = G W0 only
      assertClose(cut(gdX, N * dIn), dX0, tolFor(dOut), `${tag} dX`);
      assertClose(cut(gdW, dOut * dIn), plus(pW, g.dW0, dOut * dIn), tolFor(N), `${tag} dW0`);
      if (c.bias) assertClose(cut(gdb, dOut), plus(pb, g.db, dOut), tolFor(N), `${tag} db`);
    }
  }
}

function randomCase(N: number, dIn: number, dOut: number, r: number, bias: boolean, seed: number): Case {
  const rng = new Rng(seed);
  return { N, dIn, dOut, r, scaling: 16 / r, bias, X: rng.normals(N * dIn), W0: rng.normals(dOut * dIn, 0.3), b: rng.normals(dOut), A: rng.normals(r * dIn, 0.3), B: rng.normals(dOut * r, 0.3), G: rng.normals(N * dOut) };
}

describe('LoRA linear layer on WebGPU', () => {
  it.each(goldenLora.cases.map((c, i) => [i, c] as const))('golden case %i (PyTorch), both modes', async (_, c) => {
    const cs: Case = { ...c, bias: true };
    await check([cs], 'lora', false);
    await check([cs], 'full', false);
  });

  // every dimension takes each of 1, 3, 17, 63, 64, 65, 129 somewhere; ranks 1, 2, 7, 64
  it.each([
    [1, 3, 17, 1, false],
    [3, 17, 1, 2, true],
    [17, 64, 63, 7, true],
    [63, 65, 129, 64, false],
    [64, 129, 3, 7, true],
    [65, 1, 64, 2, false],
    [129, 63, 65, 1, true],
  ])('N=%i dIn=%i dOut=%i r=%i bias=%s: lora and fft match the reference', async (N, dIn, dOut, r, bias) => {
    const c = randomCase(N, dIn, dOut, r, bias, N * 7 + dIn);
    await check([c], 'lora', false);
    await check([c], 'full', false);
  });

  it('accumulate adds parameter gradients onto what is there (gradient accumulation)', async () => {
    const c = randomCase(17, 63, 65, 7, true, 5);
    await check([c], 'lora', true);
    await check([c], 'full', true);
  });

  it('3 runs in one dispatch each (per-run factors, scalings, weights and biases), and a shared frozen product', async () => {
    // the same X and base (shared), every run its own A, B, G, scaling (and W0, b when fully trained)
    const cs = [1, 2, 3].map((seed) => ({ ...randomCase(19, 33, 21, 3, true, seed), scaling: seed * 0.75 }));
    await check(cs, 'lora', true);
    await check(cs, 'lora', false, true);
    await check(cs, 'full', true);
  });
});
