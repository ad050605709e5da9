import { describe, expect, it } from 'vitest';
import { ALIGN, needsInputGrad, paramLayout, slot, type MlpSpec } from './layout';

const spec = (modes: MlpSpec['modes'], bias = false): MlpSpec => ({
  sizes: [6, 8, 8, 3],
  bias,
  activation: 'gelu_tanh',
  modes,
  r: 2,
  scaling: 2,
  loss: 'mse',
});

describe('param layout', () => {
  it('puts all A, then all B, aligned, in contiguous groups', () => {
    const l = paramLayout(spec(['lora', 'lora', 'lora']));
    expect(l.tensors.map((t) => t.name)).toEqual(['A0', 'A1', 'A2', 'B0', 'B1', 'B2']);
    expect(l.tensors.every((t) => t.offset % ALIGN === 0)).toBe(true);
    expect(l.groups.map((g) => g.name)).toEqual(['A', 'B']);
    expect(l.groups[0].end).toBe(l.groups[1].start);
    expect(slot(l, 'A1')!.shape).toEqual([2, 8]);
    expect(slot(l, 'B2')!.shape).toEqual([3, 2]);
    expect(l.trainable).toBe(2 * 6 + 2 * 8 + 2 * 8 + 8 * 2 + 8 * 2 + 3 * 2);
  });

  it('full fine-tuning trains W then b in one group; frozen layers own nothing', () => {
    const l = paramLayout(spec(['frozen', 'full', 'full'], true));
    expect(l.tensors.map((t) => t.name)).toEqual(['W1', 'W2', 'b1', 'b2']);
    expect(l.groups).toHaveLength(1);
    expect(slot(l, 'W2')!.shape).toEqual([3, 8]);
  });

  it('input gradients are needed only after a trainable layer', () => {
    const s = spec(['frozen', 'lora', 'frozen']);
    expect([0, 1, 2].map((i) => needsInputGrad(s, i))).toEqual([false, false, true]);
  });
});
