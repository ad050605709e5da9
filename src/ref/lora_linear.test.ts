import { describe, it } from 'vitest';
import { loraLinearBackwardRef, loraLinearForwardRef, type LoraShape, type LoraTensors } from './lora_linear';
import { goldenLora } from '../test/golden';
import { assertClose } from '../test/compare';
import { numericGrad, projectionWeights } from '../test/finiteDiff';
import { Rng } from '../rng';

const TIGHT = { atol: 1e-9, rtol: 1e-7 };

describe('LoRA linear reference', () => {
  it.each(goldenLora.cases.map((c, i) => [i, c] as const))('golden case %i (PyTorch) forward and backward', (_, c) => {
    const sh: LoraShape = { N: c.N, dIn: c.dIn, dOut: c.dOut, r: c.r, scaling: c.scaling };
    const t = { X: c.X, W0: c.W0, b: c.b, A: c.A, B: c.B };
    const f = loraLinearForwardRef(sh, t);
    assertClose(f.H, c.H, TIGHT, 'H');
    assertClose(f.Y, c.Y, TIGHT, 'Y');
    const g = loraLinearBackwardRef(sh, t, c.G);
    for (const k of ['dX', 'dW0', 'db', 'dA', 'dB'] as const) assertClose(g[k], c[k], TIGHT, k);
  });

  it('gradients match central finite differences of L = sum(w * Y)', () => {
    const rng = new Rng(9);
    const sh: LoraShape = { N: 3, dIn: 5, dOut: 4, r: 2, scaling: 1.7 };
    const t: Record<'X' | 'W0' | 'b' | 'A' | 'B', ArrayLike<number>> = { X: rng.normals(15), W0: rng.normals(20), b: rng.normals(4), A: rng.normals(10), B: rng.normals(8) };
    const w = projectionWeights(sh.N * sh.dOut);
    const G = w; // dL/dY = w
    const g = loraLinearBackwardRef(sh, t, G);
    const L = (over: Partial<LoraTensors>) => {
      const { Y } = loraLinearForwardRef(sh, { ...t, ...over });
      return Y.reduce((a, y, i) => a + y * w[i], 0);
    };
    const tol = { atol: 1e-7, rtol: 1e-6 };
    assertClose(g.dX, numericGrad((v) => L({ X: v }), t.X), tol, 'dX');
    assertClose(g.dA, numericGrad((v) => L({ A: v }), t.A), tol, 'dA');
    assertClose(g.dB, numericGrad((v) => L({ B: v }), t.B), tol, 'dB');
    assertClose(g.dW0, numericGrad((v) => L({ W0: v }), t.W0), tol, 'dW0');
    assertClose(g.db, numericGrad((v) => L({ b: v }), t.b), tol, 'db');
  });
});
