import { describe, expect, it } from 'vitest';
import { chainSpec, moduleIndex, paramCounts, type ModelDesc } from './model';
import { toyModel } from '../tasks/toyModel';
import { DEFAULT_CONFIG } from '../config/schema';
import { costOf } from '../config/cost';
import { targetModules } from '../export/peftFormat';

describe('model descriptions', () => {
  it('the toy MLP: names, shapes and modes in forward order, and the engine view built from them', () => {
    const cfg = { ...DEFAULT_CONFIG, layers: 3, width: 20, dIn: 7, dOut: 4, targets: [1, 3], mode: 'lora' as const };
    const d = toyModel(cfg);
    expect(d.modules.map((m) => [m.name, m.dIn, m.dOut, m.mode, m.adaptable])).toEqual([
      ['layers.0', 7, 20, 'frozen', false],
      ['layers.1', 20, 20, 'lora', true],
      ['layers.2', 20, 20, 'frozen', true],
      ['layers.3', 20, 20, 'lora', true],
      ['head', 20, 4, 'frozen', false],
    ]);
    const spec = chainSpec(d, 5, 0.5);
    expect(spec.sizes).toEqual([7, 20, 20, 20, 20, 4]);
    expect(spec.modes).toEqual(['frozen', 'lora', 'frozen', 'lora', 'frozen']);
    expect(targetModules(cfg)).toEqual(['layers.1', 'layers.3']);
    expect(moduleIndex(d, 'layers.3')).toBe(3);
    expect(moduleIndex(d, 'layers.9')).toBe(-1);
    // the cost panel counts from the same description
    expect(costOf({ ...cfg, r: 5 }).trainableParams).toBe(2 * 5 * (20 + 20));
    expect(costOf({ ...cfg, r: 5 }).baseParams).toBe(7 * 20 + 3 * 20 * 20 + 20 * 4);
  });

  it('counts non-square modules as PEFT does, and refuses a broken chain or a trained frozen module', () => {
    const d: ModelDesc = {
      modules: [
        { name: 'model.layers.0.mlp.up_proj', dIn: 16, dOut: 48, adaptable: true, mode: 'lora' },
        { name: 'model.layers.0.mlp.down_proj', dIn: 48, dOut: 16, adaptable: true, mode: 'full' },
        { name: 'lm_head', dIn: 16, dOut: 259, adaptable: false, mode: 'frozen' },
      ],
      bias: false,
      activation: 'relu',
      loss: 'ce',
    };
    expect(paramCounts(d, 4)).toEqual({ base: 16 * 48 * 2 + 16 * 259, adapted: 16 * 48 * 2, lora: 4 * 64 * 2, full: 16 * 48 * 2 });
    expect(() => chainSpec({ ...d, modules: [d.modules[0], d.modules[2]] }, 4, 1)).toThrow(/lm_head takes 16 inputs, but model.layers.0.mlp.up_proj gives 48/);
    expect(() => chainSpec({ ...d, modules: [d.modules[0], d.modules[1], { ...d.modules[2], mode: 'lora' }] }, 4, 1)).toThrow(/lm_head cannot be trained/);
  });
});
