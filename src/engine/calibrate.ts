/** Time a few training steps of a config on this device: the basis of a sweep's time estimate. */
import type { RunConfig } from '../config/schema';
import { buildTask } from '../tasks/toy';
import { buildSetup, stepInputs } from './setup';
import { GpuTrainer } from './trainer';

export async function calibrate(device: GPUDevice, cfg: RunConfig, steps = 6): Promise<number> {
  const task = buildTask(cfg);
  const tr = new GpuTrainer(device, buildSetup(cfg, task));
  try {
    await tr.step({ t: 1, lr: 0, x: stepInputs(cfg, task, 1) }, true); // warm-up: pipelines compile here
    const t0 = performance.now();
    for (let t = 2; t <= steps + 1; t++) await tr.step({ t, lr: 0, x: stepInputs(cfg, task, t) }, t === steps + 1);
    return (steps * 1000) / (performance.now() - t0);
  } finally {
    tr.destroy();
  }
}
