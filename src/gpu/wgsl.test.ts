/**
 * Fast shader lint: every shaders/*.wgsl compiles in Dawn's null backend (the `webgpu` npm package),
 * and every @compute entry point builds a pipeline with its default override constants.
 * Errors are reported as file:line:col, like a compiler.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, globals } from 'webgpu';

const dir = join(import.meta.dirname, '../../shaders');
const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl')).sort();

// The instance is held for the whole file: collected while its device is alive, Dawn's teardown can
// abort the worker process ("std::system_error: Invalid argument") before the results are reported.
const instances: GPU[] = [];

async function nullDevice(): Promise<GPUDevice> {
  Object.assign(globalThis, globals);
  const gpu = create(['backend=null']) as GPU;
  instances.push(gpu);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('webgpu null backend gave no adapter');
  return adapter.requestDevice({
    requiredLimits: { maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage },
  });
}

const devicePromise = nullDevice();

afterAll(async () => {
  (await devicePromise).destroy();
  instances.length = 0;
});

describe('WGSL validation (Dawn null backend)', () => {
  it('finds the shaders', () => expect(files.length).toBeGreaterThan(0));

  it.each(files)('%s compiles and builds every entry point', async (file) => {
    const device = await devicePromise;
    const code = readFileSync(join(dir, file), 'utf8');
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: file, code });
    const info = await module.getCompilationInfo();
    const errors = info.messages
      .filter((m) => m.type === 'error')
      .map((m) => `shaders/${file}:${m.lineNum}:${m.linePos}: ${m.message}`);
    expect(errors, errors.join('\n')).toEqual([]);
    const entries = [...code.matchAll(/@compute[^f]*fn\s+(\w+)/g)].map((m) => m[1]);
    expect(entries.length, `${file} has no @compute entry point`).toBeGreaterThan(0);
    for (const entryPoint of entries) {
      device.createComputePipeline({ label: `${file}:${entryPoint}`, layout: 'auto', compute: { module, entryPoint } });
    }
    const err = await device.popErrorScope();
    expect(err?.message ?? null, `${file}`).toBeNull();
  });
});
