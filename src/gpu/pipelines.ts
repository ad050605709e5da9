/**
 * Compute pipelines, compiled once per (device, kernel name, entry point, override constants).
 * Every kernel launcher gets its pipeline here, so nothing compiles in a training step.
 */

export type Overrides = Record<string, number | boolean>;

const caches = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
const modules = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

function normalise(o: Overrides): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(o).sort()) out[k] = typeof o[k] === 'boolean' ? (o[k] ? 1 : 0) : (o[k] as number);
  return out;
}

export function pipelineKey(name: string, entryPoint: string, overrides: Overrides): string {
  return `${name}:${entryPoint}:${JSON.stringify(normalise(overrides))}`;
}

export function getPipeline(
  device: GPUDevice,
  name: string,
  code: string,
  overrides: Overrides = {},
  entryPoint = 'main',
): GPUComputePipeline {
  let cache = caches.get(device);
  if (!cache) caches.set(device, (cache = new Map()));
  const key = pipelineKey(name, entryPoint, overrides);
  const hit = cache.get(key);
  if (hit) return hit;
  let mods = modules.get(device);
  if (!mods) modules.set(device, (mods = new Map()));
  let module = mods.get(name);
  if (!module) mods.set(name, (module = device.createShaderModule({ label: `${name}.wgsl`, code })));
  const pipeline = device.createComputePipeline({
    label: key,
    layout: 'auto',
    compute: { module, entryPoint, constants: normalise(overrides) },
  });
  cache.set(key, pipeline);
  return pipeline;
}

/** Number of pipelines compiled so far for a device (tests assert the cache is hit). */
export function pipelineCount(device: GPUDevice): number {
  return caches.get(device)?.size ?? 0;
}

/** The line of an elementwise shader that its vec4f variant replaces (adamw, sgd, activation). */
const ELEM_F32 = 'alias Elem = f32;';

/**
 * The pipeline of a shader whose arrays hold `Elem` entries: as written (lanes 1, Elem = f32) or its
 * vec4f variant (lanes 4, cached under `<name>.vec4`). Throws when the shader has no Elem alias line.
 */
export function getElemPipeline(device: GPUDevice, name: string, code: string, lanes: 1 | 4, overrides: Overrides = {}, entryPoint = 'main'): GPUComputePipeline {
  if (!code.includes(ELEM_F32)) throw new Error(`${name}: the shader has no '${ELEM_F32}' line`);
  if (lanes === 1) return getPipeline(device, name, code, overrides, entryPoint);
  return getPipeline(device, `${name}.vec4`, code.replace(ELEM_F32, 'alias Elem = vec4f;'), overrides, entryPoint);
}
