/**
 * toy_task.py's port of the seeded generator and the toy task (and train_with_peft.py's schedule) against the
 * TypeScript originals (src/rng.ts, src/tasks/toy.ts, src/tasks/init.ts, src/engine/schedule.ts). Every float32 array (weights,
 * hidden change, teacher, eval set, batches, LoRA init) and every uniform must be equal, not close, so that
 * the script trains on the page's exact weights and data. The float64 values that go through log, sin, cos
 * or tanh (raw normals before their float32 rounding, sigma2, the schedule's cosine) may differ in the last
 * bit or two: V8's Math functions and the C library's are different approximations, neither correctly
 * rounded.
 * Without .venv the test skips with the reason, except in CI (process.env.CI), where it fails.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { buildTask } from '../tasks/toy';
import { initLora } from '../tasks/init';
import { lrAt } from '../engine/schedule';
import { validateConfig, type InitScheme, type RunConfig } from '../config/schema';
import { needPython, runPython } from '../test/python';

/** A few float64 ulps: the libm difference, far below float32's 6e-8. */
const LIBM_RTOL = 1e-15;

/**
 * Index and values of the first difference, or null when equal (a readable failure for long arrays);
 * rtol 0 means bit-identical.
 */
function firstDiff(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol = 0): string | null {
  if (got.length !== want.length) return `${what}: ${got.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const same = rtol === 0 ? Object.is(got[i], want[i]) : Math.abs(got[i] - want[i]) <= rtol * Math.abs(want[i]);
    if (!same) return `${what}[${i}]: python ${got[i]}, typescript ${want[i]}`;
  }
  return null;
}

const config = (patch: Partial<RunConfig>): RunConfig => {
  const { config: c, errors } = validateConfig({ width: 16, layers: 2, dIn: 6, dOut: 5, trueRank: 3, evalSize: 24, ...patch });
  if (errors.length) throw new Error(errors.join('; '));
  return c;
};

const STREAMS = [
  { seed: 0, name: '' },
  { seed: 1, name: 'data/0' },
  { seed: 4294967295, name: 'task/Win' },
  { seed: 123456789, name: 'lora/2' },
  { seed: 2 ** 31, name: 'epoch/17' },
].map((s) => ({ ...s, uniforms: 5000, normals: 5001, f32: 999 }));

const TASKS = [
  { config: config({ seed: 1 }), steps: [0, 1, 7], batch: 8 },
  { config: config({ seed: 7, activation: 'relu', layers: 3, trainSize: 20 }), steps: [0, 2, 3, 9], batch: 8 },
  { config: config({ seed: 3000000000, width: 32, trueRank: 5, shift: 1.5, trainSize: 5 }), steps: [0, 1, 4], batch: 3 },
];

const INITS = (['initA', 'initB', 'peft', 'gaussian'] as InitScheme[]).map((scheme, k) => ({ scheme, r: 3 + k, dIn: 16, dOut: 12, seed: 5 + k, name: `lora/${k + 1}` }));

const SCHEDULES = [
  config({ steps: 20 }),
  config({ steps: 7, warmup: 0.3, minLrRatio: 0 }),
  config({ steps: 5, schedule: 'constant' }),
];

interface PyOut {
  streams: { uniforms: number[]; normals: number[]; f32: number[]; after: number[] }[];
  tasks: Record<string, number[] | number[][] | number | { x: number[]; y: number[]; labels: number[] }[]>[];
  inits: { A: number[]; B: number[] }[];
  lr: number[][];
}

describe('toy_task.py ports the generator and the toy task exactly', () => {
  it('uniforms, normals, task weights, sigma2, eval set, batches, LoRA init and schedule are identical', (ctx) => {
    const py = needPython(ctx);
    const spec = { streams: STREAMS, tasks: TASKS, inits: INITS, lr: SCHEDULES };
    const r = runPython(py, ['scripts/interop/toy_numbers.py'], JSON.stringify(spec));
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const got = JSON.parse(r.stdout) as PyOut;
    const diffs: (string | null)[] = [];

    STREAMS.forEach((s, k) => {
      const rng = Rng.stream(s.seed, s.name);
      const u = Array.from({ length: s.uniforms }, () => rng.uniform());
      const n = Array.from({ length: s.normals }, () => rng.normal()); // odd count: the spare carries into f32
      const f = rng.normals(s.f32, 0.7);
      diffs.push(firstDiff(`stream ${k} uniforms`, got.streams[k].uniforms, u));
      diffs.push(firstDiff(`stream ${k} normals`, got.streams[k].normals, n, LIBM_RTOL));
      diffs.push(firstDiff(`stream ${k} f32 normals`, got.streams[k].f32, f));
      // The spare carried out of a batch of draws, then uniforms after it.
      const after = [...Array.from({ length: 3 }, () => rng.normal()), ...rng.uniforms(5, -0.5, 2.0)];
      diffs.push(firstDiff(`stream ${k} draws after them`, got.streams[k].after.slice(0, 3), after.slice(0, 3), LIBM_RTOL));
      diffs.push(firstDiff(`stream ${k} f32 uniforms after them`, got.streams[k].after.slice(3), after.slice(3)));
    });

    TASKS.forEach((t, k) => {
      const task = buildTask(t.config);
      const p = got.tasks[k];
      const each = (name: string, want: Float32Array[]) => want.forEach((w, i) => diffs.push(firstDiff(`task ${k} ${name}[${i}]`, (p[name] as number[][])[i], w)));
      diffs.push(firstDiff(`task ${k} Win`, p.Win as number[], task.Win));
      diffs.push(firstDiff(`task ${k} Wout`, p.Wout as number[], task.Wout));
      each('Ws', task.Ws);
      each('U', task.U);
      each('V', task.V);
      each('deltas', task.deltas);
      each('teacherWs', task.teacher.Ws);
      diffs.push(firstDiff(`task ${k} sigma2`, [p.sigma2 as number], [task.sigma2], 1e-13)); // a sum of libm-rounded terms
      diffs.push(firstDiff(`task ${k} evalX`, p.evalX as number[], task.evalX));
      diffs.push(firstDiff(`task ${k} evalY`, p.evalY as number[], task.evalY));
      diffs.push(firstDiff(`task ${k} evalLabels`, p.evalLabels as number[], task.evalLabels));
      const batches = p.batches as { x: number[]; y: number[]; labels: number[] }[];
      t.steps.forEach((step, j) => {
        const b = task.batchAt(step, t.batch);
        diffs.push(firstDiff(`task ${k} batch ${step} x`, batches[j].x, b.x));
        diffs.push(firstDiff(`task ${k} batch ${step} y`, batches[j].y, b.y));
        diffs.push(firstDiff(`task ${k} batch ${step} labels`, batches[j].labels, b.labels));
      });
    });

    INITS.forEach((c, k) => {
      const f = initLora(c.scheme, c.r, c.dIn, c.dOut, Rng.stream(c.seed, c.name));
      diffs.push(firstDiff(`init ${c.scheme} A`, got.inits[k].A, f.A));
      diffs.push(firstDiff(`init ${c.scheme} B`, got.inits[k].B, f.B));
    });

    SCHEDULES.forEach((c, k) => {
      const want = Array.from({ length: c.steps + 2 }, (_, s) => lrAt(s, c.steps, c));
      diffs.push(firstDiff(`schedule ${k}`, got.lr[k], want, LIBM_RTOL));
    });

    expect(diffs.filter((d) => d !== null)).toEqual([]);
  }, 120_000);
});
