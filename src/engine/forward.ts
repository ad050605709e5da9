/**
 * A forward pass on the GPU for given inputs, with given trained tensors: what an export's
 * test_cases.json records (the base model's outputs and the adapted model's), computed by the same
 * kernels that trained the run.
 */
import type { RunConfig } from '../config/schema';
import { buildTask } from '../tasks/toy';
import { buildSetup } from './setup';
import { Trainer } from './trainer';
import type { TensorMap } from './protocol';

export async function forwardOutputs(device: GPUDevice, cfg: RunConfig, tensors: TensorMap, inputs: Float32Array, rows: number): Promise<{ base: Float32Array; adapted: Float32Array }> {
  if (inputs.length !== rows * cfg.dIn) throw new Error(`inputs have ${inputs.length} values, expected ${rows} x ${cfg.dIn}`);
  const task = buildTask({ ...cfg, evalSize: Math.max(16, rows) });
  const run = async (t: TensorMap, c: RunConfig) => {
    const setup = { ...buildSetup(c, task, t), evalX: inputs, evalRows: rows };
    const tr = new Trainer(device, setup);
    try {
      return await tr.evalOutputs();
    } finally {
      tr.destroy();
    }
  };
  const adapted = await run(tensors, cfg);
  // The base model: the same network with every layer frozen (no adapter).
  const base = await run({}, { ...cfg, targets: [] as number[] });
  return { base, adapted };
}
