/**
 * lm_task.py's port of the language-model task against the TypeScript original (src/tasks/lmTask.ts,
 * src/tasks/textData.ts): the training windows of several steps and micro-batches, both eval sets, the
 * training part's length and the LoRA factors at step 0 must be identical (bytes are bytes; the factors
 * are float32 values of the same draws), and a rejected text must be rejected with the page's message.
 * The texts are the shipped corpora (public/data) and a short text of one's own near the smallest allowed.
 * Without .venv the test skips with the reason, except in CI (process.env.CI), where it fails.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig, type RunConfig } from '../config/schema';
import { BASE_SHAPE } from '../tasks/llamaBase';
import { lmModules, lmRunInit, lmTaskFrom, lmWindowsAt } from '../tasks/lmTask';
import { checkText, minBytes, splitText, TextRejected } from '../tasks/textData';
import { needPython, runPython, writeTempFolder } from '../test/python';

const corpus = (f: string) => new Uint8Array(readFileSync(new URL(`../../public/data/${f}`, import.meta.url)));
const kjv = corpus('kjv.txt');
const shakespeare = corpus('tinyshakespeare.txt');

const config = (patch: Partial<RunConfig>): RunConfig => {
  const { config: c, errors } = validateConfig({ task: 'lm', ...patch });
  if (errors.length) throw new Error(errors.join('; '));
  return c;
};

/** A text of one's own: printable ASCII and newlines from a seeded pattern, `n` bytes. */
const ownText = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i % 61 === 60 ? 10 : 32 + ((i * 7919) % 95)));

const TASKS = [
  { config: config({ lmData: 'shakespeare', seed: 1, seqLen: 16, batch: 2, accum: 2 }), fineTune: shakespeare, steps: [1, 2, 9] },
  { config: config({ lmData: 'kjv', seed: 4294967295, seqLen: 128, batch: 3 }), fineTune: kjv, steps: [1, 5] },
  { config: config({ lmData: 'user', seed: 77, seqLen: 8, batch: 16, accum: 3 }), fineTune: ownText(minBytes(8)), steps: [1, 4] },
  { config: config({ lmData: 'user', seed: 2 ** 31, seqLen: 64, batch: 1 }), fineTune: ownText(5000), steps: [3] },
];

const INITS = (['initA', 'initB', 'peft', 'gaussian'] as const).map((init, k) => config({ init, r: 2 + k, seed: 10 + k, lmTargets: [k, 7 + 2 * k] }));

const REJECTS = [
  { bytes: [], context: 16, name: 'your text' },
  { bytes: [...ownText(100)], context: 16, name: 'your text' },
  { bytes: [0xff, 0xfe, ...ownText(400)], context: 8, name: 'your text' },
  { bytes: [...ownText(400), 0], context: 8, name: 'the kjv corpus' },
  { bytes: [...ownText(300), ...Array(30).fill(1)], context: 8, name: 'your text' },
  { bytes: [...ownText(minBytes(8))], context: 8, name: 'your text' },
];

function firstDiff(what: string, got: unknown, want: unknown): string | null {
  const [g, w] = [JSON.stringify(got), JSON.stringify(want)];
  if (g === w) return null;
  let i = 0;
  while (g[i] === w[i]) i++;
  return `${what}: python ...${g.slice(Math.max(0, i - 40), i + 40)}, typescript ...${w.slice(Math.max(0, i - 40), i + 40)}`;
}

describe('lm_task.py ports the language-model task exactly', () => {
  it('training windows, eval sets, the training split, LoRA init and text checks are identical', (ctx) => {
    const py = needPython(ctx);
    const heldOut = splitText(kjv).heldOut;
    const dir = writeTempFolder({ 'pretrain_heldout.txt': heldOut, ...Object.fromEntries(TASKS.map((t, k) => [`ft${k}.txt`, t.fineTune])) }, 'lora-lab-lmport-');
    const spec = {
      tasks: TASKS.map((t, k) => ({ config: t.config, fineTune: join(dir, `ft${k}.txt`), pretrainHeldOut: join(dir, 'pretrain_heldout.txt'), steps: t.steps })),
      inits: INITS.flatMap((c) => lmModules(c, BASE_SHAPE).flatMap((m, cell) => (m.mode === 'lora' ? [{ config: c, cell, dIn: m.dIn, dOut: m.dOut }] : []))),
      rejects: REJECTS,
    };
    const r = runPython(py, ['scripts/interop/lm_numbers.py'], JSON.stringify(spec));
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const got = JSON.parse(r.stdout) as { tasks: { evalSets: number[][][]; steps: number[][][][]; trainBytes: number }[]; inits: { A: number[]; B: number[] }[]; rejects: (string | null)[] };
    const diffs: (string | null)[] = [];
    let windows = 0;
    TASKS.forEach((t, k) => {
      const task = lmTaskFrom(t.config, { shape: BASE_SHAPE, weights: {} }, t.fineTune, kjv);
      diffs.push(firstDiff(`task ${k} training bytes`, got.tasks[k].trainBytes, task.train.length));
      diffs.push(firstDiff(`task ${k} eval sets`, got.tasks[k].evalSets, task.evalSets));
      t.steps.forEach((s, j) => {
        const want = lmWindowsAt(t.config, task, s);
        windows += want.flat().length;
        diffs.push(firstDiff(`task ${k} step ${s} windows`, got.tasks[k].steps[j], want));
      });
    });
    let j = 0;
    let values = 0;
    for (const c of INITS) {
      const mods = lmModules(c, BASE_SHAPE);
      const init = lmRunInit(c, mods);
      mods.forEach((m, cell) => {
        if (m.mode !== 'lora') return;
        values += init.A[cell]!.length + init.B[cell]!.length;
        diffs.push(firstDiff(`${c.init} ${m.name} A`, got.inits[j].A, [...init.A[cell]!]));
        diffs.push(firstDiff(`${c.init} ${m.name} B`, got.inits[j++].B, [...init.B[cell]!]));
      });
    }
    REJECTS.forEach((x, k) => {
      let want: string | null = null;
      try {
        checkText(Uint8Array.from(x.bytes), x.context, x.name);
      } catch (e) {
        if (!(e instanceof TextRejected)) throw e;
        want = e.message;
      }
      diffs.push(firstDiff(`text check ${k}`, got.rejects[k], want));
    });
    console.log(`lm_task.py vs the page: ${windows} training windows over ${TASKS.length} tasks, ${TASKS.length * 2} eval sets, ${values} initial LoRA values, ${REJECTS.length} text checks; differences: ${diffs.filter((d) => d !== null).length}`);
    expect(diffs.filter((d) => d !== null)).toEqual([]);
    expect(got.rejects.map((m) => m !== null)).toEqual([true, true, true, true, true, false]);
  }, 120_000);
});
