/**
 * Device acquisition. Raises the storage-buffer limits to what the adapter allows (the default device
 * gives 128 MiB), and turns `device.lost` and `uncapturederror` into typed errors handed to a callback,
 * so nothing is swallowed.
 */

export type GpuErrorKind = 'no-webgpu' | 'no-adapter' | 'device-request-failed' | 'device-lost' | 'uncaptured';

export class GpuError extends Error {
  constructor(
    readonly kind: GpuErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'GpuError';
  }
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxStorageBuffersPerShaderStage: number;
    maxComputeWorkgroupsPerDimension: number;
  };
}

export interface Gpu {
  device: GPUDevice;
  adapter: GPUAdapter;
  summary: AdapterSummary;
  hasTimestamps: boolean;
}

export const BROWSER_HELP =
  'LoRA Lab needs WebGPU: Chrome or Edge 113+, Safari 26, or Firefox 141+ on Windows. ' +
  'On Linux, Chrome needs --enable-unsafe-webgpu.';

export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const l = adapter.limits;
  return {
    vendor: info.vendor || 'unknown',
    architecture: info.architecture || 'unknown',
    device: info.device || '',
    description: info.description || '',
    // `isFallbackAdapter` moved from GPUAdapter to GPUAdapterInfo; read whichever exists.
    isFallbackAdapter: Boolean(
      (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
        (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter,
    ),
    features: [...adapter.features].sort(),
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  };
}

export interface AcquireOptions {
  /** Called once per device loss or uncaptured error, with a typed error. */
  onError?: (err: GpuError) => void;
  gpu?: GPU;
}

/** Devices of a software (fallback) adapter, such as SwiftShader: kernels pick their tiles for a CPU. */
const softwareDevices = new WeakSet<GPUDevice>();

/** Whether `device` runs on a software adapter (kernels tuned for it choose differently). */
export const isSoftwareDevice = (device: GPUDevice): boolean => softwareDevices.has(device);

export async function acquireGpu(opts: AcquireOptions = {}): Promise<Gpu> {
  const gpu = opts.gpu ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined);
  if (!gpu) throw new GpuError('no-webgpu', `This browser does not expose WebGPU (navigator.gpu is missing). ${BROWSER_HELP}`);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new GpuError('no-adapter', `WebGPU is present but no GPU adapter was found. ${BROWSER_HELP}`);
  const l = adapter.limits;
  const wanted: GPUFeatureName[] = ['timestamp-query'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: 'lora-lab',
      requiredFeatures,
      requiredLimits: {
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      },
    });
  } catch (e) {
    throw new GpuError('device-request-failed', `The GPU adapter refused to create a device: ${String(e)}`);
  }
  const summary = summarizeAdapter(adapter);
  if (summary.isFallbackAdapter) softwareDevices.add(device);
  device.lost.then((info) => {
    if (info.reason === 'destroyed') return; // we destroyed it ourselves
    // what is lost is the device, not the work: the engine drops it and acquires a new one on the next request
    const why = info.message ? `${info.reason}: ${info.message}` : info.reason;
    opts.onError?.(new GpuError('device-lost', `The GPU device was lost (${why}). Finished runs are kept; press Train, Resume, Export or Evaluate again to continue on a new GPU device.`));
  });
  device.addEventListener('uncapturederror', (ev) => {
    const e = (ev as GPUUncapturedErrorEvent).error;
    opts.onError?.(new GpuError('uncaptured', `GPU error: ${e.message}`));
  });
  return { device, adapter, summary, hasTimestamps: requiredFeatures.includes('timestamp-query') };
}
