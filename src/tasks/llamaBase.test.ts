/**
 * The shipped language-model base (public/models/tiny-llama-kjv, written by scripts/pretrain_base.py):
 * its files are the recorded ones, every HF weight is there with its shape, and the CPU reference
 * computes the same losses as transformers did on the recorded windows of both corpora.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../export/safetensors';
import { llamaForward, llamaTensorShapes } from '../ref/llama';
import { BASE_SHAPE, llamaParamCount } from './llamaBase';
import { LM_MAX_RANK } from '../config/schema';
import { llamaShapeFromConfig } from './llamaConfig';

const dir = new URL('../../public/models/tiny-llama-kjv/', import.meta.url);
const read = (f: string) => readFileSync(new URL(f, dir));
const training = JSON.parse(read('training.json').toString()) as {
  parameters: number;
  model_safetensors_sha256: string;
  reference_windows: { corpus: string; offset: number; tokens: number; bits_per_byte: number }[];
};
const shape = llamaShapeFromConfig(JSON.parse(read('config.json').toString()));
const bytes = new Uint8Array(read('model.safetensors'));

describe('shipped base model', () => {
  it('its config.json is the shape the page assumes (BASE_SHAPE), with the parameters the pretraining recorded', () => {
    expect(shape).toEqual(BASE_SHAPE);
    expect(LM_MAX_RANK).toBe(Math.min(shape.hidden, shape.heads * shape.headDim, shape.kvHeads * shape.headDim));
    expect(llamaParamCount(BASE_SHAPE)).toBe(JSON.parse(read('training.json').toString()).parameters);
  });

  it('model.safetensors is the file the pretraining script recorded', () => {
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(training.model_safetensors_sha256);
  });

  it('holds exactly the HF LlamaForCausalLM weights, float32, with their shapes', () => {
    const file = readSafetensors(bytes, 'model.safetensors');
    const want = llamaTensorShapes(shape);
    expect([...file.tensors.keys()].sort()).toEqual(want.map(([n]) => n).sort());
    for (const [name, s] of want) {
      const t = file.tensors.get(name)!;
      expect([name, t.dtype, t.shape]).toEqual([name, 'F32', s]);
    }
    const count = want.reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
    expect(count).toBe(training.parameters);
    expect(count).toBeGreaterThan(200_000);
    expect(count).toBeLessThan(1_000_000);
  });

  it('the reference gives the losses transformers gave on both corpora', () => {
    const file = readSafetensors(bytes, 'model.safetensors');
    const w = Object.fromEntries([...file.tensors].map(([k, t]) => [k, t.data!]));
    expect(training.reference_windows.length).toBe(2);
    for (const win of training.reference_windows) {
      const text = readFileSync(new URL(`../../public/data/${win.corpus}`, import.meta.url)).subarray(win.offset, win.offset + win.tokens + 1);
      const tokens = [...text.subarray(0, win.tokens)];
      const logits = llamaForward(shape, w, tokens);
      let nats = 0;
      for (let i = 0; i < win.tokens; i++) {
        const row = logits.subarray(i * shape.vocab, (i + 1) * shape.vocab);
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
        nats += lse - row[text[i + 1]];
      }
      const bits = nats / win.tokens / Math.LN2;
      expect(Math.abs(bits - win.bits_per_byte)).toBeLessThan(1e-3);
      // a trained model: far below the 8 bits of a uniform guess over bytes
      expect(bits).toBeLessThan(6);
    }
  });
});
