import { describe, expect, it } from 'vitest';
import { act, activationBackward, activationForward, dact } from './activation';
import { goldenGelu } from '../test/golden';
import { assertClose } from '../test/compare';
import { numericGrad } from '../test/finiteDiff';

describe('activation reference', () => {
  it('matches the PyTorch golden GELU (tanh) values and derivatives', () => {
    assertClose(activationForward('gelu_tanh', goldenGelu.x), goldenGelu.y, { atol: 1e-12, rtol: 1e-10 }, 'gelu');
    assertClose(activationBackward('gelu_tanh', goldenGelu.x, goldenGelu.x.map(() => 1)), goldenGelu.dydx, { atol: 1e-12, rtol: 1e-10 }, 'dgelu');
  });

  it.each(['gelu_tanh', 'relu'] as const)('%s derivative matches central finite differences', (kind) => {
    const xs = [-4, -1.3, -0.2, 0.05, 0.7, 2.5, 7];
    for (const x of xs) {
      const [g] = numericGrad((v) => act(kind, v[0]), [x], 1e-6);
      expect(Math.abs(g - dact(kind, x))).toBeLessThan(1e-7);
    }
  });
});
