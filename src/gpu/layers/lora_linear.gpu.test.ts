import { describe, it } from 'vitest';
import { loraLinearBackward, loraLinearForward, type LoraLinearShape } from './lora_linear';
import { loraLinearBackwardRef, loraLinearForwardRef } from '../../ref/lora_linear';
import { createStorageBuffer, readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { goldenLora } from '../../test/golden';
import { Rng } from '../../rng';

interface Case extends LoraLinearShape {
  X: ArrayLike<number>;
  W0: ArrayLike<number>;
  b: ArrayLike<number>;
  A: ArrayLike<number>;
  B: ArrayLike<number>;
  G: ArrayLike<number>;
}

// f32 accumulation over K terms: error grows with sqrt(K) * |terms|.
const tolFor = (K: number) => ({ atol: 2e-6 * Math.sqrt(K), rtol: 1e-4 });

async function check(c: Case, mode: 'lora' | 'fft', accumulate: boolean) {
  const device = await testDevice();
  const { N, dIn, dOut, r } = c;
  const sh: LoraLinearShape = { N, dIn, dOut, r, scaling: c.scaling, bias: c.bias };
  const up = (name: string, a: ArrayLike<number>) => uploadF32(device, name, Float32Array.from(a));
  const X = up('X', c.X);
  const W0 = up('W0', c.W0);
  const b = up('b', c.b);
  const A = up('A', c.A);
  const B = up('B', c.B);
  const G = up('G', c.G);
  const H = createStorageBuffer(device, 'H', N * r * 4);
  const Y = createStorageBuffer(device, 'Y', N * dOut * 4);
  const dX = createStorageBuffer(device, 'dX', N * dIn * 4);
  const dH = createStorageBuffer(device, 'dH', N * r * 4);
  // pre-filled gradients: accumulate must add to them, plain mode must overwrite them
  const prior = new Rng(1);
  const pA = prior.normals(r * dIn);
  const pB = prior.normals(dOut * r);
  const pW = prior.normals(dOut * dIn);
  const pb = prior.normals(dOut);
  const dA = up('dA', pA);
  const dB = up('dB', pB);
  const dW0 = up('dW0', pW);
  const db = up('db', pb);
  const bufs = { X, W0, b, A, B, H, Y };
  await withErrorScope(device, () =>
    runDispatches(device, [
      ...loraLinearForward(device, sh, bufs, mode),
      ...loraLinearBackward(device, sh, bufs, { G, dX, dH, dA, dB, dW0, db }, mode, { accumulate }),
    ]),
  );
  const t = { X: c.X, W0: c.W0, b: c.bias ? c.b : undefined, A: c.A, B: c.B };
  const f = loraLinearForwardRef({ ...sh }, mode === 'lora' ? t : { ...t, B: new Float64Array(dOut * r) });
  const g = loraLinearBackwardRef(sh, t, c.G);
  const tag = `${mode} N=${N} dIn=${dIn} dOut=${dOut} r=${r}${accumulate ? ' acc' : ''}`;
  const plus = (base: ArrayLike<number>, d: Float64Array) => (accumulate ? d.map((v, i) => v + base[i]) : d);
  assertClose(await readF32(device, Y, N * dOut), f.Y, tolFor(dIn + r), `${tag} Y`);
  if (mode === 'lora') {
    assertClose(await readF32(device, H, N * r), f.H, tolFor(dIn), `${tag} H`);
    assertClose(await readF32(device, dX, N * dIn), g.dX, tolFor(dOut + r), `${tag} dX`);
    assertClose(await readF32(device, dA, r * dIn), plus(pA, g.dA), tolFor(N), `${tag} dA`);
    assertClose(await readF32(device, dB, dOut * r), plus(pB, g.dB), tolFor(N), `${tag} dB`);
  } else {
    const dX0 = g.dX.map((v, i) => v - g.dXA[i]); // fft: dX = G W0 only
    assertClose(await readF32(device, dX, N * dIn), dX0, tolFor(dOut), `${tag} dX`);
    assertClose(await readF32(device, dW0, dOut * dIn), plus(pW, g.dW0), tolFor(N), `${tag} dW0`);
    if (c.bias) assertClose(await readF32(device, db, dOut), plus(pb, g.db), tolFor(N), `${tag} db`);
  }
}

function randomCase(N: number, dIn: number, dOut: number, r: number, bias: boolean, seed: number): Case {
  const rng = new Rng(seed);
  return { N, dIn, dOut, r, scaling: 16 / r, bias, X: rng.normals(N * dIn), W0: rng.normals(dOut * dIn, 0.3), b: rng.normals(dOut), A: rng.normals(r * dIn, 0.3), B: rng.normals(dOut * r, 0.3), G: rng.normals(N * dOut) };
}

describe('LoRA linear layer on WebGPU', () => {
  it.each(goldenLora.cases.map((c, i) => [i, c] as const))('golden case %i (PyTorch), both modes', async (_, c) => {
    const cs: Case = { ...c, bias: true };
    await check(cs, 'lora', false);
    await check(cs, 'fft', false);
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
    await check(c, 'lora', false);
    await check(c, 'fft', false);
  });

  it('accumulate adds parameter gradients onto what is there (gradient accumulation)', async () => {
    const c = randomCase(17, 63, 65, 7, true, 5);
    await check(c, 'lora', true);
    await check(c, 'fft', true);
  });
});
