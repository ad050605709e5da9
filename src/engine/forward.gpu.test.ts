/**
 * The export's forward pass (forwardOutputs): the base model alone (no trainable module at all) and
 * the adapted model, on given inputs, against the CPU reference's forward with the same weights.
 */
import { describe, it } from 'vitest';
import { forwardOutputs } from './forward';
import { CpuTrainer } from '../ref/trainer';
import { buildSetup } from './setup';
import { buildTask } from '../tasks/toy';
import { DEFAULT_CONFIG, type RunConfig } from '../config/schema';
import { testDevice } from '../test/gpu';
import { assertClose } from '../test/compare';
import { Rng } from '../rng';

describe('forward pass for export test cases', () => {
  it.each(['lora', 'fft'] as const)('%s: base and adapted outputs match the CPU reference', async (mode) => {
    const device = await testDevice();
    const cfg: RunConfig = { ...DEFAULT_CONFIG, width: 24, layers: 2, dIn: 8, dOut: 5, trueRank: 2, r: 3, lora_alpha: 6, targets: [2], mode, evalSize: 16 };
    const task = buildTask(cfg);
    const rng = new Rng(9);
    const tensors: Record<string, Float32Array> = mode === 'lora' ? { A2: rng.normals(3 * 24, 0.3), B2: rng.normals(24 * 3, 0.3) } : { W2: rng.normals(24 * 24, 0.3) };
    const rows = 17;
    const inputs = rng.normals(rows * cfg.dIn);
    const got = await forwardOutputs(device, cfg, tensors, inputs, rows);
    const ref = (c: RunConfig, t: Record<string, Float32Array>) => new CpuTrainer(buildSetup(c, task, t)).forward(inputs, rows, null).out;
    const tol = { atol: 1e-5, rtol: 1e-4 };
    assertClose(got.base, ref({ ...cfg, targets: [] }, {}), tol, 'base outputs');
    assertClose(got.adapted, ref(cfg, tensors), tol, 'adapted outputs');
  });
});
