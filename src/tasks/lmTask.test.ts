import { describe, expect, it } from 'vitest';
import golden from '../../fixtures/golden/llama_forward.json';
import { DEFAULT_CONFIG, TASK_PRESETS, type RunConfig } from '../config/schema';
import { llamaShapeFromConfig } from './llamaConfig';
import { cellsAsGrid, cellOf } from './llamaModel';
import { lmEvalWindows, lmModules, lmRunInit, lmTaskFrom, lmWindowsAt } from './lmTask';
import { TextRejected } from './textData';

const shape = { ...llamaShapeFromConfig(golden.config), context: 16 };
const weights = {};
const cfg: RunConfig = { ...DEFAULT_CONFIG, ...TASK_PRESETS.lm, task: 'lm', seqLen: 8, batch: 3, lmTargets: [cellOf(1, 'q_proj'), cellOf(1, 'v_proj')] };
const text = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => 97 + ((i * 7 + seed) % 26));

describe('language-model task', () => {
  const task = lmTaskFrom(cfg, { shape, weights }, text(4000, 1), text(6000, 3));

  it('two held-out sets of whole batches of windows of seqLen + 1 bytes, from the end of each text', () => {
    expect(task.evalSets).toHaveLength(2);
    for (const set of task.evalSets) {
      expect(set.length).toBe(lmEvalWindows(cfg.batch));
      expect(set.length % cfg.batch).toBe(0);
      for (const w of set) expect(w).toHaveLength(cfg.seqLen + 1);
    }
    expect(task.evalSets[0]).not.toEqual(task.evalSets[1]);
    expect(task.train.length).toBe(Math.floor(4000 * 0.95));
  });

  it('training windows: fixed by the seed and the step, different across steps and seeds, inside the training part', () => {
    const a = lmWindowsAt(cfg, task, 3);
    expect(a).toEqual(lmWindowsAt(cfg, task, 3));
    expect(a).not.toEqual(lmWindowsAt(cfg, task, 4));
    expect(a).not.toEqual(lmWindowsAt({ ...cfg, seed: 2 }, task, 3));
    expect(a).toHaveLength(cfg.accum);
    const train = new TextDecoder().decode(task.train);
    for (const w of a[0]) expect(train.includes(String.fromCharCode(...w))).toBe(true);
  });

  it('target cells select the projections; LoRA factors are drawn at rank r, B = 0 (Init[A]), or taken from given tensors', () => {
    const mods = lmModules(cfg, shape);
    expect(mods.filter((m) => m.mode === 'lora').map((m) => m.name)).toEqual(['model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    expect(cellsAsGrid(cfg.lmTargets)).toEqual({ types: ['q_proj', 'v_proj'], layers: [1] });
    expect(cellsAsGrid([cellOf(0, 'q_proj'), cellOf(1, 'v_proj')])).toBeNull();
    const init = lmRunInit(cfg, mods);
    const q = cellOf(1, 'q_proj');
    expect(init.A[q]!.length).toBe(cfg.r * shape.hidden);
    expect(init.B[q]!.every((x) => x === 0)).toBe(true);
    expect(init.A[0]).toBeNull();
    const given = new Float32Array(cfg.r * shape.hidden).fill(0.5);
    expect(lmRunInit(cfg, mods, { [`A${q}`]: given }).A[q]).toBe(given);
    expect(() => lmRunInit(cfg, mods, { [`A${q}`]: new Float32Array(3) })).toThrow(/A7 .*q_proj.* has 3 values/);
  });

  it("refuses the user's text with the reason when it is too short, binary or not UTF-8", () => {
    const user = { ...cfg, lmData: 'user' as const };
    expect(() => lmTaskFrom(user, { shape, weights }, text(50, 0), text(6000, 3))).toThrow(TextRejected);
    expect(() => lmTaskFrom(user, { shape, weights }, Uint8Array.from([0xff, 0xfe, 0, 1, ...text(4000, 0)]), text(6000, 3))).toThrow(/UTF-8|binary/);
    expect(() => lmTaskFrom({ ...cfg, seqLen: 64 }, { shape, weights }, text(4000, 1), text(6000, 3))).toThrow(/at most 16/);
  });
});
