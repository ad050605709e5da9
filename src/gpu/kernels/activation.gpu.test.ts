import { describe, expect, it } from 'vitest';
import { activationBackward, activationForward, type Activation } from './activation';
import * as ref from '../../ref/activation';
import { readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { goldenGelu } from '../../test/golden';
import { Rng } from '../../rng';

const TOL = { atol: 1e-6, rtol: 1e-5 };

async function run(kind: Activation, x: Float32Array, dy: Float32Array) {
  const device = await testDevice();
  const n = x.length;
  const bx = uploadF32(device, 'x', x);
  const bdy = uploadF32(device, 'dy', dy);
  const by = uploadF32(device, 'y', new Float32Array(n));
  const bdx = uploadF32(device, 'dx', new Float32Array(n));
  await withErrorScope(device, () =>
    runDispatches(device, [activationForward(device, kind, n, bx, by), activationBackward(device, kind, n, bx, bdy, bdx)]),
  );
  return { y: await readF32(device, by, n), dx: await readF32(device, bdx, n) };
}

describe('activation kernel on WebGPU', () => {
  it.each(['gelu_tanh', 'relu'] as const)('%s forward and backward match the reference on awkward sizes (vec4f variant when n % 4 = 0)', async (kind) => {
    const device = await testDevice();
    const b = uploadF32(device, 'probe', new Float32Array(68));
    expect(activationForward(device, kind, 64, b, b).label).toContain('vec4');
    expect(activationBackward(device, kind, 65, b, b, b).label).not.toContain('vec4');
    for (const n of [1, 3, 4, 17, 63, 64, 65, 129, 1000, 4100]) {
      const rng = new Rng(n);
      const x = rng.normals(n, 3);
      const dy = rng.normals(n);
      const got = await run(kind, x, dy);
      assertClose(got.y, ref.activationForward(kind, x), TOL, `${kind} y n=${n}`);
      assertClose(got.dx, ref.activationBackward(kind, x, dy), TOL, `${kind} dx n=${n}`);
    }
  });

  it('GELU passes the PyTorch golden case, including saturated inputs', async () => {
    const x = Float32Array.from(goldenGelu.x);
    const got = await run('gelu_tanh', x, new Float32Array(x.length).fill(1));
    assertClose(got.y, goldenGelu.y, { atol: 1e-6, rtol: 1e-5 }, 'gelu golden y');
    assertClose(got.dx, goldenGelu.dydx, { atol: 1e-6, rtol: 1e-5 }, 'gelu golden dydx');
  });

  it('handles a grid folded into y (more than 65535 workgroups)', async () => {
    // odd n: the one-element-a-thread variant (the vec4f one indexes through the same flat())
    const n = 65535 * 256 + 301;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = (i % 7) - 3;
    const got = await run('relu', x, new Float32Array(n).fill(1));
    // check the tail, which only the folded y rows reach
    const tail = got.y.subarray(n - 1000);
    assertClose(tail, ref.activationForward('relu', x.subarray(n - 1000)), TOL, 'relu folded tail');
  });
});
