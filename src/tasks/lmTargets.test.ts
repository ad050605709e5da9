import { describe, expect, it } from 'vitest';
import { LM_CELLS } from '../config/schema';
import { ALL_CELLS, cellsOf, equalBudgetRank, formatTargetSet, formatTargetSets, parseTargetSets, targetParams } from './lmTargets';

const QV = cellsOf(['q_proj', 'v_proj']);

describe('language-model target sets', () => {
  it('names a set by module types when it covers every layer, else cell by cell', () => {
    expect(QV).toEqual([0, 2, 7, 9]);
    expect(formatTargetSet(QV)).toBe('q+v');
    expect(formatTargetSet(ALL_CELLS)).toBe('all');
    expect(formatTargetSet([9, 7])).toBe('q@1+v@1');
    expect(formatTargetSet([0, 13])).toBe('q@0+down@1');
    expect(formatTargetSets([QV, [...ALL_CELLS]])).toBe('q+v; all');
  });

  it('parses what it writes, full PEFT names too, and says what is wrong', () => {
    for (const set of [QV, [...ALL_CELLS], [9, 7], [0, 13], cellsOf(['gate_proj', 'up_proj', 'down_proj'])]) expect(parseTargetSets(formatTargetSet(set))).toEqual([[...set].sort((a, b) => a - b)]);
    expect(parseTargetSets('q_proj, v_proj; all')).toEqual([QV, [...ALL_CELLS]]);
    expect(parseTargetSets('Q + v@0 + q')).toEqual([[0, 2, 7]]);
    expect(parseTargetSets(' ; ')).toEqual([]); // nothing typed: the axis is not swept
    for (const bad of ['x', 'q@2', 'q@', 'q@1@0', '3', 'q; ,']) expect(parseTargetSets(bad)).toEqual(expect.stringMatching(/^must be sets of projections like "q\+v; all"/));
  });

  it('counts trainable parameters from the base shape: LoRA r (dIn + dOut) per projection, FFT dIn dOut', () => {
    // hidden 128, heads x headDim 128, intermediate 352: q, k, v, o are 128 -> 128; gate, up 128 -> 352; down 352 -> 128
    expect(targetParams(QV, 'lora', 1)).toBe(2 * (256 + 256));
    expect(targetParams(ALL_CELLS, 'lora', 1)).toBe(2 * (4 * 256 + 3 * 480));
    expect(targetParams(ALL_CELLS, 'lora', 8)).toBe(8 * 4928);
    expect(targetParams(QV, 'fft', 8)).toBe(4 * 128 * 128);
    expect(targetParams(ALL_CELLS, 'fft', 1)).toBe(2 * (4 * 128 * 128 + 3 * 128 * 352));
    expect(ALL_CELLS.length).toBe(LM_CELLS);
  });

  it('the equal-budget rank: q,v at 24 trains within 0.3% of all layers at 5', () => {
    expect(equalBudgetRank(QV, ALL_CELLS, 5)).toBe(24);
    expect(Math.abs(targetParams(QV, 'lora', 24) / targetParams(ALL_CELLS, 'lora', 5) - 1)).toBeLessThan(0.003);
    expect(equalBudgetRank(ALL_CELLS, QV, 1)).toBe(1);
  });
});
