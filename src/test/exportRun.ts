/**
 * A small trained-looking run for export tests, without a GPU: the task's base weights, random LoRA
 * factors (or fully trained weights), and test-case outputs from the CPU forward (src/export/cpuForward.ts).
 */
import { scalingFactor, validateConfig, type RunConfig } from '../config/schema';
import type { TensorMap } from '../engine/protocol';
import { Rng } from '../rng';
import { buildTask } from '../tasks/toy';
import type { BundleInput } from '../export/bundle';
import { mlpForwardCpu, type ForwardLayer } from '../export/cpuForward';
import { mlpSizes } from '../export/peftFormat';
import { caseInputs, CASE_ROWS } from '../export/testCases';

export function smallConfig(patch: Partial<RunConfig> = {}): RunConfig {
  const { config, errors } = validateConfig({ width: 16, layers: 2, dIn: 5, dOut: 4, r: 3, lora_alpha: 6, evalSize: 16, steps: 10, ...patch });
  if (errors.length) throw new Error(errors.join('; '));
  return config;
}

/** The network's layers for the CPU forward: base weights plus the run's trained tensors. */
export function forwardLayers(cfg: RunConfig, base: { Win: Float32Array; Ws: Float32Array[]; Wout: Float32Array }, tensors: TensorMap): ForwardLayer[] {
  const s = scalingFactor(cfg);
  return [base.Win, ...base.Ws, base.Wout].map((W, i) => {
    if (!cfg.targets.includes(i)) return { W };
    if (cfg.mode === 'fft') return { W: tensors[`W${i}`] };
    return { W, lora: { A: tensors[`A${i}`], B: tensors[`B${i}`], r: cfg.r, s } };
  });
}

export function fakeRun(cfg: RunConfig = smallConfig(), seed = 3): BundleInput {
  const task = buildTask(cfg);
  const sizes = mlpSizes(cfg);
  const rng = new Rng(seed);
  const tensors: TensorMap = {};
  for (const i of cfg.targets) {
    if (cfg.mode === 'fft') tensors[`W${i}`] = task.Ws[i - 1].map((w) => w + 0.1 * rng.normal());
    else {
      tensors[`A${i}`] = rng.normals(cfg.r * sizes[i], 0.3);
      tensors[`B${i}`] = rng.normals(sizes[i + 1] * cfg.r, 0.3);
    }
  }
  const rows = CASE_ROWS;
  const inputs = caseInputs(cfg, rows);
  const fwd = (t: TensorMap, c: RunConfig) => Float32Array.from(mlpForwardCpu(forwardLayers(c, task, t), sizes, cfg.activation, inputs, rows));
  return {
    config: cfg,
    label: 'test run',
    status: { state: 'done', step: cfg.steps, stepsPerSec: 50, finalLoss: 0.25 },
    points: [
      { step: 1, loss: 1, gradNorm: 1, divergedStep: 0, lr: 0.001, stepsPerSec: 40, evalLoss: 0.9 },
      { step: cfg.steps, loss: 0.25, gradNorm: 0.5, divergedStep: 0, lr: 0.0001, stepsPerSec: 50, evalLoss: 0.3 },
    ],
    tensors,
    base: task,
    cases: { inputs, rows, base: fwd({}, { ...cfg, targets: [] }), adapted: fwd(tensors, cfg) },
    version: '0.0.0-test',
    created: new Date('2026-01-02T03:04:05Z'),
  };
}

