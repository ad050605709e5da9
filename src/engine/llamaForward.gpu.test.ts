import { describe, expect, it } from 'vitest';
import golden from '../../fixtures/golden/llama_forward.json';
import training from '../../public/models/tiny-llama-kjv/training.json';
import { readF32 } from '../gpu/buffers';
import { llamaForward, type LlamaShape, type LlamaWeights } from '../ref/llama';
import { llamaShapeFromConfig } from '../tasks/llamaConfig';
import { loadBaseModel, loadCorpus } from '../tasks/llamaAssets';
import { testDevice, withErrorScope } from '../test/gpu';
import { LlamaForward } from './llamaForward';

async function gpuLogits(shape: LlamaShape, w: LlamaWeights, seqs: number[][]): Promise<Float32Array> {
  const device = await testDevice();
  const f = await withErrorScope(device, () => new LlamaForward(device, shape, w, seqs.length, seqs[0].length));
  try {
    await withErrorScope(device, () => f.run(seqs.flat()));
    return await readF32(device, f.logits, seqs.length * seqs[0].length * shape.vocab);
  } finally {
    f.destroy();
  }
}

/** Every logit within atol + rtol |want| of the reference's, sequence by sequence. */
function expectClose(shape: LlamaShape, w: LlamaWeights, seqs: number[][], got: Float32Array, atol: number, rtol: number): void {
  const n = seqs[0].length * shape.vocab;
  seqs.forEach((tokens, b) => {
    const want = llamaForward(shape, w, tokens);
    const bad = [...want].filter((x, i) => !(Math.abs(got[b * n + i] - x) <= atol + rtol * Math.abs(x)));
    expect(bad.length, `sequence ${b}`).toBe(0);
  });
}

describe('language model forward on WebGPU', () => {
  it('equals the reference on the golden model (grouped heads), two sequences in one batch', async () => {
    const shape = llamaShapeFromConfig(golden.config);
    const w = Object.fromEntries(Object.entries(golden.weights).map(([k, v]) => [k, Float32Array.from(v)]));
    const seqs = [golden.cases[2].tokens, [...golden.cases[2].tokens].reverse()];
    expectClose(shape, w, seqs, await gpuLogits(shape, w, seqs), 1e-5, 1e-4);
  });

  it('equals the reference on the shipped base, on a window of each corpus', async () => {
    const { shape, weights: w } = await loadBaseModel();
    const seqs: number[][] = [];
    for (const win of training.reference_windows) {
      const bytes = await loadCorpus(win.corpus as 'kjv.txt' | 'tinyshakespeare.txt');
      seqs.push([...bytes.subarray(win.offset, win.offset + win.tokens)]);
    }
    expectClose(shape, w, seqs, await gpuLogits(shape, w, seqs), 1e-4, 1e-4);
  });
});
