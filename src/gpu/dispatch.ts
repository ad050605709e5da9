/**
 * A Dispatch is one compute dispatch prepared once (pipeline + bind group + grid) and encoded every step.
 * Launchers in `kernels/` return Dispatches; the trainer encodes a whole step's list into one pass.
 */
/** A whole buffer, or a range of one (offsets must be multiples of 256 bytes for storage bindings). */
export type BufferRef = GPUBuffer | GPUBufferBinding;

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
  /** Floating-point operations the dispatch performs where its kernel counts them (matmul: 2 M N K per batch). */
  flops?: number;
}

export function makeBindGroup(
  device: GPUDevice,
  label: string,
  pipeline: GPUComputePipeline,
  resources: BufferRef[],
): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: resources.map((r, binding) => ({ binding, resource: 'buffer' in r ? r : { buffer: r } })),
  });
}

export function encodeDispatches(pass: GPUComputePassEncoder, dispatches: Dispatch[]): void {
  for (const d of dispatches) {
    if (d.workgroups[0] === 0 || d.workgroups[1] === 0 || d.workgroups[2] === 0) continue; // empty edge
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(...d.workgroups);
  }
}

/** Encode and submit dispatches as one command buffer (tests and one-off work; the trainer owns its own). */
export function runDispatches(device: GPUDevice, dispatches: Dispatch[], label = 'run'): void {
  const enc = device.createCommandEncoder({ label });
  const pass = enc.beginComputePass({ label });
  encodeDispatches(pass, dispatches);
  pass.end();
  device.queue.submit([enc.finish()]);
}
