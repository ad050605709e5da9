/**
 * A stand-in GPUDevice for Node tests of what gets allocated: it records every buffer's size and does
 * nothing else (no compilation, no execution), so a trainer can be built in milliseconds and the
 * allocator's count (src/gpu/buffers.ts) compared with the memory estimate. It cannot check that the
 * GPU would accept the buffers and bindings: the GPU test of the estimate does that on a real device.
 */
const USAGE = { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, INDEX: 16, VERTEX: 32, UNIFORM: 64, STORAGE: 128, INDIRECT: 256, QUERY_RESOLVE: 512 };

/** WebGPU's usage and map-mode flags as globals (Node has none). */
export function defineGpuGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  g.GPUBufferUsage ??= USAGE;
  g.GPUMapMode ??= { READ: 1, WRITE: 2 };
}

export function fakeDevice(limits: Partial<GPUSupportedLimits> = {}): GPUDevice {
  defineGpuGlobals();
  const pass = { setPipeline() {}, setBindGroup() {}, dispatchWorkgroups() {}, end() {} };
  const device = {
    label: 'fake',
    limits: { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31, maxComputeWorkgroupsPerDimension: 65535, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384, ...limits },
    features: new Set<string>(),
    queue: { writeBuffer() {}, submit() {}, onSubmittedWorkDone: () => Promise.resolve() },
    createBuffer: (d: GPUBufferDescriptor) => ({ size: d.size, label: d.label, usage: d.usage, destroy() {}, unmap() {}, mapAsync: () => Promise.resolve(), getMappedRange: () => new ArrayBuffer(d.size) }),
    createShaderModule: () => ({}),
    createComputePipeline: () => ({ getBindGroupLayout: () => ({}) }),
    createBindGroup: () => ({}),
    createCommandEncoder: () => ({ beginComputePass: () => pass, copyBufferToBuffer() {}, finish: () => ({}) }),
    pushErrorScope() {},
    popErrorScope: () => Promise.resolve(null),
    addEventListener() {},
  };
  return device as unknown as GPUDevice;
}
