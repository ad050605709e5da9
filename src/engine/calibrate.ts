/** Time a few training steps of a config on this device: the basis of a sweep's time estimate. */
import type { RunConfig } from '../config/schema';
import { buildTask } from '../tasks/toy';
import { buildSetup, hyperAt, stepInputs } from './setup';
import { Trainer } from './trainer';

export async function calibrate(device: GPUDevice, cfg: RunConfig, steps = 6): Promise<number> {
  const task = buildTask(cfg);
  const tr = new Trainer(device, buildSetup(cfg, task));
  // lr 0: the timing does not depend on it, and the weights stay put
  const hyper = (t: number) => ({ ...hyperAt(cfg, t), lr: 0 });
  try {
    await tr.step({ t: 1, hypers: [hyper(1)], x: stepInputs(cfg, task, 1) }, true); // warm-up: pipelines compile here
    const t0 = performance.now();
    for (let t = 2; t <= steps + 1; t++) await tr.step({ t, hypers: [hyper(t)], x: stepInputs(cfg, task, t) }, t === steps + 1);
    return (steps * 1000) / (performance.now() - t0);
  } finally {
    tr.destroy();
  }
}
