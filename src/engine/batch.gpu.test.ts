/**
 * The trainer with R runs equals the same trainer with each run alone (R = 1), to float tolerance: a grid of
 * ranks x learning rates (plus init/alpha variety), FFT, dropout + accumulation, SGD + CE.
 */
import { describe, expect, it } from 'vitest';
import { Trainer } from './trainer';
import { buildBatchedSetup, groupRuns } from './group';
import { buildSetup, hyperAt, stepInputs } from './setup';
import { buildTask } from '../tasks/toy';
import { DEFAULT_CONFIG, type RunConfig } from '../config/schema';
import { testDevice } from '../test/gpu';
import { assertClose } from '../test/compare';
import type { StepLog } from './types';

const SMALL: Partial<RunConfig> = { width: 24, layers: 2, dIn: 8, dOut: 5, trueRank: 2, batch: 8, evalSize: 20, steps: 12, logEvery: 4 };

async function compare(cfgs: RunConfig[], evalBudget?: number) {
  const device = await testDevice();
  const task = buildTask(cfgs[0]);
  const { shared, runs } = buildBatchedSetup(cfgs, task);
  const batched = new Trainer(device, shared, runs, evalBudget);
  const alone = cfgs.map((c) => new Trainer(device, buildSetup(c, task)));
  const steps = cfgs[0].steps;
  const diverged = new Set<number>();
  for (let t = 1; t <= steps; t++) {
    const x = stepInputs(cfgs[0], task, t);
    const hypers = cfgs.map((c) => hyperAt(c, t));
    const log = t % cfgs[0].logEvery === 0 || t === 1;
    const b = await batched.step({ t, hypers, x }, log);
    const a: (StepLog | null)[] = [];
    for (const [i, tr] of alone.entries()) a.push((await tr.step({ t, hypers: [hypers[i]], x }, log))?.[0] ?? null);
    if (!log) continue;
    cfgs.forEach((c, i) => {
      const [bl, al] = [b![i], a[i]!];
      const where = `run ${i} (r=${c.r} lr=${c.lr} ${c.init} ${c.mode}) step ${t}`;
      expect(bl.divergedStep, where).toBe(al.divergedStep);
      if (al.divergedStep) return void diverged.add(i);
      expect(Math.abs(bl.loss - al.loss) / Math.max(1e-3, al.loss), `${where} loss ${bl.loss} vs ${al.loss}`).toBeLessThan(1e-4);
      expect(Math.abs(bl.gradNorm - al.gradNorm) / Math.max(1e-3, al.gradNorm), `${where} grad norm`).toBeLessThan(1e-3);
      expect(Math.abs(bl.evalLoss! - al.evalLoss!) / Math.max(1e-3, al.evalLoss!), `${where} eval loss ${bl.evalLoss} vs ${al.evalLoss}`).toBeLessThan(1e-4);
    });
  }
  const all = await batched.readRuns(cfgs.map((c) => c.r));
  for (const [i, tr] of alone.entries()) {
    if (diverged.has(i)) continue; // NaN either way
    const want = await tr.readRun();
    const got = await batched.readRun(i, cfgs[i].r);
    for (const name of Object.keys(want)) {
      assertClose(got[name], want[name], { atol: 1e-5, rtol: 1e-3 }, `run ${i} ${name}`);
      expect(all[i][name], `readRuns ${i} ${name}`).toEqual(got[name]);
    }
    tr.destroy();
  }
  batched.destroy();
  return diverged;
}

const cfg = (over: Partial<RunConfig>): RunConfig => ({ ...DEFAULT_CONFIG, ...SMALL, ...over });

describe('the trainer with R runs vs each run alone', () => {
  it('2 ranks x 3 learning rates (LoRA, Init[A], alpha_eff = 1)', async () => {
    const cfgs = [1, 4].flatMap((r) => [2 ** -8, 2 ** -6, 2 ** -4].map((lr) => cfg({ r, lora_alpha: r, lr })));
    expect(groupRuns(cfgs.map((config) => ({ config })), 64)).toHaveLength(1);
    await compare(cfgs);
  });

  it('mixed init schemes, scaling rules, alphas and LoRA+ ratios in one batch', async () => {
    await compare([
      cfg({ r: 3, init: 'initB', lora_alpha: 3, lr: 2 ** -6 }),
      cfg({ r: 2, init: 'peft', scaling: 'rslora', lora_alpha: 1, lr: 2 ** -5 }),
      cfg({ r: 5, init: 'gaussian', lora_alpha: 10, loraPlusRatio: 4, lr: 2 ** -7 }),
    ]);
  });

  it('full fine-tuning runs over a learning-rate grid', async () => {
    await compare([2 ** -9, 2 ** -7].map((lr) => cfg({ mode: 'fft', lr })));
  });

  it('dropout, gradient accumulation and one target layer', async () => {
    await compare([1, 3].map((r) => cfg({ r, lora_alpha: r, lora_dropout: 0.2, accum: 2, targets: [2], lr: 2 ** -6 })));
  });

  // Two runs, widest layer 24 floats: a budget of 2 x 12 x 24 x 4 bytes gives chunks of 12 rows.
  for (const [budget, chunks] of [[1, '8, 8, 4 rows (the training buffers)'], [2 * 12 * 24 * 4, '12, 8 rows (own buffers)']] as const) {
    it(`eval set of 20 in chunks of ${chunks}: LoRA after a frozen layer, and FFT`, async () => {
      const cfgs = [cfg({ r: 2, lora_alpha: 2, targets: [2], lr: 2 ** -6 }), cfg({ r: 3, lora_alpha: 3, targets: [2], lr: 2 ** -5 })];
      const { shared, runs } = buildBatchedSetup(cfgs, buildTask(cfgs[0]));
      const probe = new Trainer(await testDevice(), shared, runs, budget);
      expect(probe.st.evalChunks.map((c) => c.rows)).toEqual(budget === 1 ? [8, 8, 4] : [12, 8]);
      expect(probe.st.evalActs.z[2] === probe.st.z[2]).toBe(budget === 1);
      probe.destroy();
      await compare(cfgs, budget);
      await compare([2 ** -9, 2 ** -7].map((lr) => cfg({ mode: 'fft', targets: [2], lr })), budget);
    });
  }

  it('SGD with momentum and cross-entropy, with a run that diverges while the others go on', async () => {
    const diverged = await compare([2 ** -4, 2 ** 3].map((lr) => cfg({ r: 2, lora_alpha: 2, optimizer: 'sgd', loss: 'ce', lr, clip: 0, schedule: 'constant', init: 'initB' })));
    expect([...diverged]).toEqual([1]);
  });
});
