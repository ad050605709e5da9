import { describe, expect, it } from 'vitest';
import golden from '../../fixtures/golden/llama_forward.json';
import { llamaShapeFromConfig } from '../tasks/llamaConfig';
import { llamaForward, llamaTensorShapes, rope, type LlamaWeights } from './llama';

const shape = llamaShapeFromConfig(golden.config);
const weights: LlamaWeights = Object.fromEntries(Object.entries(golden.weights).map(([k, v]) => [k, Float32Array.from(v)]));

describe('llama reference against transformers (float64)', () => {
  it('reads the config: grouped-query heads, head_dim, eps, theta', () => {
    expect(shape).toEqual({ vocab: 32, hidden: 16, intermediate: 24, layers: 2, heads: 4, kvHeads: 2, headDim: 4, eps: 1e-5, ropeTheta: 10000, context: 13 });
  });

  it('lists every weight HF has, with its shape', () => {
    const mine = llamaTensorShapes(shape);
    expect(Object.fromEntries(mine)).toEqual(golden.shapes);
  });

  for (const c of golden.cases) {
    it(`logits of ${c.tokens.length} tokens`, () => {
      const got = llamaForward(shape, weights, c.tokens);
      expect(got.length).toBe(c.logits.length);
      // float32 intermediates against float64: atol 1e-5 + rtol 1e-4 (measured worst 5e-6 absolute)
      const bad = c.logits.filter((want, i) => !(Math.abs(got[i] - want) <= 1e-5 + 1e-4 * Math.abs(want)));
      expect(bad).toEqual([]);
    });
  }

  it('the golden case is sensitive to the position encoding (a different rope_theta fails it)', () => {
    const c = golden.cases[2];
    const got = llamaForward({ ...shape, ropeTheta: 100 }, weights, c.tokens);
    const off = Math.max(...c.logits.map((want, i) => Math.abs(got[i] - want)));
    expect(off).toBeGreaterThan(1e-2);
  });
});

describe('llama pieces', () => {
  it('rope leaves position 0 unchanged and keeps each pair norm', () => {
    const x = Float32Array.from({ length: 2 * 8 }, (_, i) => Math.sin(i + 1));
    const y = x.slice();
    rope(y, 2, 1, 8, 10000);
    expect([...y.subarray(0, 8)]).toEqual([...x.subarray(0, 8)]);
    for (let j = 0; j < 4; j++) expect(Math.hypot(y[8 + j], y[12 + j])).toBeCloseTo(Math.hypot(x[8 + j], x[12 + j]), 5);
  });
});

describe('llama config.json', () => {
  const base = golden.config as Record<string, unknown>;
  it.each([
    [{ model_type: 'mistral' }, /model_type/],
    [{ hidden_act: 'gelu' }, /hidden_act/],
    [{ attention_bias: true }, /attention_bias/],
    [{ tie_word_embeddings: true }, /tie_word_embeddings/],
    [{ num_key_value_heads: 3 }, /multiple/],
    [{ rope_parameters: { rope_type: 'llama3', rope_theta: 5e5 } }, /RoPE/],
    [{ vocab_size: 0 }, /vocab_size/],
  ])('refuses %j', (patch, msg) => {
    expect(() => llamaShapeFromConfig({ ...base, ...patch })).toThrow(msg);
  });
});
