import { describe, expect, it } from 'vitest';
import golden from '../../fixtures/golden/llama_generate.json';
import { loadBaseModel } from '../tasks/llamaAssets';
import { testDevice, withErrorScope } from '../test/gpu';
import { LlamaForward } from './llamaForward';
import { generate } from './llamaGenerate';

describe('language model generation on WebGPU', () => {
  it("greedy continuations of the shipped base are transformers' own, token for token", async () => {
    const device = await testDevice();
    const { shape, weights: w } = await loadBaseModel();
    const f = await withErrorScope(device, () => new LlamaForward(device, shape, w, 1, 64));
    try {
      for (const c of golden.cases) {
        const prompt = [...new TextEncoder().encode(c.prompt)];
        const got = await generate(f, prompt, c.tokens.length, { temperature: 0, seed: 0 });
        expect(new TextDecoder().decode(Uint8Array.from(got))).toBe(new TextDecoder().decode(Uint8Array.from(c.tokens)));
      }
      // sampled: the seed fixes the text, another seed changes it
      const p = [...new TextEncoder().encode('And ')];
      const a = await generate(f, p, 12, { temperature: 1, seed: 3 });
      expect(await generate(f, p, 12, { temperature: 1, seed: 3 })).toEqual(a);
      expect(await generate(f, p, 12, { temperature: 1, seed: 4 })).not.toEqual(a);
    } finally {
      f.destroy();
    }
  });
});
