/** Launcher for shaders/watch.wgsl: records the first step whose loss or gradients went non-finite. */
import code from '../../../shaders/watch.wgsl?raw';
import { getPipeline } from '../pipelines';
import { makeBindGroup, type BufferRef, type Dispatch } from '../dispatch';
import { createUniformBuffer, writeUniforms } from '../uniforms';

export interface Watch {
  dispatch: Dispatch;
  /** Set the 1-based step number recorded if this step diverges (call before each submit). */
  setStep(step: number): void;
}

/**
 * losses[k * stride] for k < count are the step's losses (one slot per micro-batch). `runs` > 1 watches
 * R runs at once: run r's losses from r * runStride, its stats and state at r * slotStride.
 */
export function createWatch(
  device: GPUDevice,
  count: number,
  losses: BufferRef,
  stats: BufferRef,
  state: BufferRef,
  bound: number,
  stride = 1,
  runs: { runs: number; runStride: number; slotStride: number } = { runs: 1, runStride: 0, slotStride: 0 },
): Watch {
  const pipeline = getPipeline(device, 'watch', code);
  const params = createUniformBuffer(device, 'watch.params', [['u32', count], ['u32', 0], ['f32', bound], ['u32', stride], ['u32', runs.runStride], ['u32', runs.slotStride]]);
  return {
    dispatch: { label: 'watch', pipeline, bindGroup: makeBindGroup(device, 'watch', pipeline, [losses, stats, state, params]), workgroups: [runs.runs, 1, 1] },
    setStep: (step) => writeUniforms(device, params, [['u32', count], ['u32', step], ['f32', bound], ['u32', stride], ['u32', runs.runStride], ['u32', runs.slotStride]]),
  };
}
