import { describe, expect, it } from 'vitest';
import golden from '../../fixtures/golden/llama_forward.json';
import { paramCounts } from '../engine/model';
import { llamaTensorShapes } from '../ref/llama';
import { llamaShapeFromConfig } from './llamaConfig';
import { llamaLinears } from './llamaModel';

const shape = llamaShapeFromConfig(golden.config);

describe('language model modules', () => {
  it('names and shapes are the HF weights of every projection (out, in) plus lm_head', () => {
    const mods = llamaLinears(shape, { types: [], layers: [], mode: 'lora' });
    const hf = Object.fromEntries(llamaTensorShapes(shape));
    expect(mods.length).toBe(7 * shape.layers + 1);
    for (const m of mods) expect([m.name, hf[`${m.name}.weight`]]).toEqual([m.name, [m.dOut, m.dIn]]);
    expect(mods.every((m) => m.mode === 'frozen')).toBe(true);
  });

  it('targets: module types on chosen layers; LoRA parameter count follows', () => {
    const mods = llamaLinears(shape, { types: ['q_proj', 'v_proj'], layers: [1], mode: 'lora' });
    expect(mods.filter((m) => m.mode === 'lora').map((m) => m.name)).toEqual(['model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    // q: 16 -> 16, v: 16 -> 8 (2 kv heads of 4) at r = 2
    expect(paramCounts({ modules: mods, bias: false, activation: 'relu', loss: 'ce' }, 2).lora).toBe(2 * (16 + 16) + 2 * (16 + 8));
    expect(() => llamaLinears(shape, { types: ['q_proj'], layers: [2], mode: 'lora' })).toThrow(/layer 2 is outside 0..1/);
  });
});
