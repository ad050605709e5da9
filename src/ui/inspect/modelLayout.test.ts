import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, LM_CELLS } from '../../config/schema';
import { cellsOf } from '../../tasks/lmTargets';
import { lmLayout, MIN_SIDE, modelLayout, toyLayout, trainedModules, type DiagramConfig } from './modelLayout';

const toy: DiagramConfig = { ...DEFAULT_CONFIG, width: 128, layers: 2, dIn: 32, dOut: 10, targets: [1, 2], r: 8, mode: 'lora' };
const kinds = (l: ReturnType<typeof toyLayout>) => l.blocks.map((b) => `${b.id}:${b.kind}`);

describe('the toy model, drawn', () => {
  it('W_in, the hidden layers and W_out in forward order, each adapted layer with A and B beneath', () => {
    const l = toyLayout(toy);
    expect(kinds(l)).toEqual(['layers.0:frozen', 'layers.1:lora', 'layers.1/A:factor', 'layers.1/B:factor', 'layers.2:lora', 'layers.2/A:factor', 'layers.2/B:factor', 'head:frozen']);
    const xs = l.blocks.filter((b) => b.kind !== 'factor').map((b) => b.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(l.links.length).toBe(5); // x -> W_in -> W_1 -> W_2 -> W_out -> y
    expect(trainedModules(l)).toEqual(['layers.1', 'layers.2']);
  });

  it('blocks to one scale: width = input size, height = output size; A (r x n) and B (n x r) to the scale of r', () => {
    const l = toyLayout(toy, 128); // one pixel per unit
    const b = (id: string) => l.blocks.find((x) => x.id === id)!;
    expect([b('layers.0').w, b('layers.0').h]).toEqual([32, 128]);
    expect([b('head').w, b('head').h]).toEqual([128, 10]);
    expect([b('layers.1/A').w, b('layers.1/A').h]).toEqual([128, 8]);
    expect([b('layers.1/B').w, b('layers.1/B').h]).toEqual([8, 128]);
    const l16 = toyLayout({ ...toy, r: 16 }, 128);
    expect(l16.blocks.find((x) => x.id === 'layers.1/A')!.h).toBe(16);
    // a rank-1 adapter on a wide layer still shows
    expect(toyLayout({ ...toy, r: 1, width: 1024 }).blocks.find((x) => x.id === 'layers.1/A')!.h).toBe(MIN_SIDE);
  });

  it('parameter counts: on hover, and the trained share', () => {
    const l = toyLayout(toy);
    expect(l.blocks.find((b) => b.id === 'layers.1/A')!.title).toContain('8 x 128 (r x in) = 1,024 trained parameters');
    expect(l.blocks.find((b) => b.id === 'layers.1')!.title).toBe('W_1 (layers.1): 128 x 128 = 16,384 parameters, frozen, LoRA-adapted; the target network adds a hidden rank-4 change here');
    expect(l.baseParams).toBe(32 * 128 + 2 * 128 * 128 + 128 * 10);
    expect(l.trainedParams).toBe(2 * 2 * 8 * 128);
  });

  it('redraws for the targets and the mode: one adapted layer; full fine-tuning trains the weights themselves', () => {
    expect(kinds(toyLayout({ ...toy, targets: [2] }))).toEqual(['layers.0:frozen', 'layers.1:frozen', 'layers.2:lora', 'layers.2/A:factor', 'layers.2/B:factor', 'head:frozen']);
    const fft = toyLayout({ ...toy, mode: 'fft' });
    expect(kinds(fft)).toEqual(['layers.0:frozen', 'layers.1:full', 'layers.2:full', 'head:frozen']);
    expect(fft.trainedParams).toBe(2 * 128 * 128);
    expect(fft.height).toBeLessThan(toyLayout(toy).height); // no factors beneath
    expect(trainedModules(toyLayout({ ...toy, layers: 4, targets: [1, 3] }))).toEqual(['layers.1', 'layers.3']);
  });

  it('every block inside the drawing', () => {
    for (const cfg of [toy, { ...toy, layers: 6, targets: [1, 2, 3, 4, 5, 6], width: 1024, r: 256 }, { ...toy, dIn: 256, dOut: 256, width: 16, r: 16 }]) {
      const l = toyLayout(cfg);
      for (const b of l.blocks) {
        expect(b.x + b.w).toBeLessThanOrEqual(l.width);
        expect(b.y + b.h).toBeLessThanOrEqual(l.height);
        expect(b.y).toBeGreaterThanOrEqual(0);
      }
    }
  });
});

describe('the language model, drawn', () => {
  const lm: DiagramConfig = { ...toy, task: 'lm', r: 8, lmTargets: cellsOf(['q_proj', 'v_proj']) };

  it('2 layers x 7 projections, the target cells trained', () => {
    const l = lmLayout(lm);
    const weights = l.blocks.filter((b) => b.kind !== 'factor');
    expect(weights.length).toBe(LM_CELLS);
    expect(trainedModules(l)).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    expect(weights.filter((b) => b.kind === 'lora').map((b) => b.label)).toEqual(['q', 'v', 'q', 'v']);
    expect(l.blocks.filter((b) => b.kind === 'factor').length).toBe(8);
    expect(l.trainedParams).toBe(4 * 8 * (128 + 128));
    expect(modelLayout(lm)).toEqual(l);
  });

  it('shapes to scale: gate and up are 352 tall, down 352 wide', () => {
    const l = lmLayout({ ...lm, lmTargets: [] });
    const w = (n: string) => l.blocks.find((b) => b.id === n)!;
    expect(w('model.layers.0.mlp.up_proj').h).toBeCloseTo((352 / 128) * w('model.layers.0.self_attn.q_proj').h, 9);
    expect(w('model.layers.0.mlp.down_proj').w).toBeCloseTo(w('model.layers.0.mlp.up_proj').h, 9);
    expect(l.trainedParams).toBe(0);
  });

  it('full fine-tuning of every projection', () => {
    const l = lmLayout({ ...lm, mode: 'fft', lmTargets: [...Array(LM_CELLS).keys()] });
    expect(l.blocks.every((b) => b.kind === 'full')).toBe(true);
    expect(l.trainedParams).toBe(l.baseParams);
  });
});
