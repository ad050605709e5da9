/**
 * The WebGPU device for browser tests. A missing adapter THROWS: in CI a GPU test that cannot get an
 * adapter must fail, never skip.
 */
import { acquireGpu, type Gpu } from '../gpu/device';

let gpuPromise: Promise<Gpu> | null = null;
const errors: string[] = [];

export function testGpu(): Promise<Gpu> {
  if (!gpuPromise) gpuPromise = acquireGpu({ onError: (e) => errors.push(`${e.kind}: ${e.message}`) });
  return gpuPromise;
}

export async function testDevice(): Promise<GPUDevice> {
  return (await testGpu()).device;
}

/** GPU errors reported since the device was made (validation errors surface here). */
export function gpuErrors(): string[] {
  return errors;
}

/** Run `fn` inside validation + out-of-memory error scopes and throw on any error. */
export async function withErrorScope<T>(device: GPUDevice, fn: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const out = await fn();
  const v = await device.popErrorScope();
  const o = await device.popErrorScope();
  if (v) throw new Error(`WebGPU validation error: ${v.message}`);
  if (o) throw new Error(`WebGPU out-of-memory error: ${o.message}`);
  return out;
}
