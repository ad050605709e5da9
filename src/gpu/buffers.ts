/**
 * Buffers allocated once, from a table of named shapes (llm.c style). Every buffer is labelled with its
 * name and shape, and f32 unless the table says otherwise.
 */
export interface BufferSpec {
  shape: number[];
  /** Extra usages beyond STORAGE | COPY_SRC | COPY_DST. */
  usage?: number;
  /** Element size in bytes (4 for f32/u32). */
  bytesPerElement?: number;
}

export type BufferTable<K extends string> = Record<K, BufferSpec>;

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Bytes of GPU buffers on a device: `live` (created and not yet destroyed) and `created` (ever). Every
 * buffer of the engine is made by createGpuBuffer, so these are the bytes actually asked of the GPU; the
 * memory estimate (src/config/memory.ts) is checked against them.
 */
export interface BufferBytes {
  live: number;
  created: number;
}

const counts = new WeakMap<GPUDevice, BufferBytes>();

export function bufferBytes(device: GPUDevice): BufferBytes {
  let c = counts.get(device);
  if (!c) counts.set(device, (c = { live: 0, created: 0 }));
  return c;
}

/** The one place GPU buffers are created: counts the bytes, and uncounts them once on destroy(). */
export function createGpuBuffer(device: GPUDevice, desc: GPUBufferDescriptor): GPUBuffer {
  const buf = device.createBuffer(desc);
  const c = bufferBytes(device);
  c.live += desc.size;
  c.created += desc.size;
  const destroy = buf.destroy.bind(buf);
  let gone = false;
  buf.destroy = () => {
    if (!gone) c.live -= desc.size;
    gone = true;
    destroy();
  };
  return buf;
}

/** Run `build` (synchronous) and return what it made with the bytes of the buffers it created. */
export function countingBytes<T>(device: GPUDevice, build: () => T): { value: T; bytes: number } {
  const before = bufferBytes(device).created;
  const value = build();
  return { value, bytes: bufferBytes(device).created - before };
}

export function createStorageBuffer(device: GPUDevice, label: string, bytes: number, usage = 0): GPUBuffer {
  // Zero-size buffers cannot be bound; a 4-byte minimum keeps empty edges (N = 0) legal.
  return createGpuBuffer(device, {
    label,
    size: Math.max(16, Math.ceil(bytes / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | usage,
  });
}

export function allocateBuffers<K extends string>(device: GPUDevice, prefix: string, table: BufferTable<K>): Record<K, GPUBuffer> {
  const out = {} as Record<K, GPUBuffer>;
  for (const name of Object.keys(table) as K[]) {
    const spec = table[name];
    out[name] = createStorageBuffer(device, `${prefix}.${name}(${spec.shape.join('x')})`, numel(spec.shape) * (spec.bytesPerElement ?? 4), spec.usage);
  }
  return out;
}

export function uploadF32(device: GPUDevice, label: string, data: ArrayLike<number>, usage = 0): GPUBuffer {
  const buf = createStorageBuffer(device, label, data.length * 4, usage);
  if (data.length) device.queue.writeBuffer(buf, 0, data instanceof Float32Array ? data : new Float32Array(data));
  return buf;
}

/** u32 data (token ids, labels) into a new storage buffer. */
export function uploadU32(device: GPUDevice, label: string, data: Uint32Array, usage = 0): GPUBuffer {
  const buf = createStorageBuffer(device, label, data.length * 4, usage);
  if (data.length) device.queue.writeBuffer(buf, 0, data);
  return buf;
}

/** One-off readback (tests, exports). The trainer reads through the staging ring instead. */
export async function readF32(device: GPUDevice, src: GPUBuffer, count: number, offsetElems = 0): Promise<Float32Array> {
  if (count === 0) return new Float32Array(0);
  const bytes = count * 4;
  const staging = createGpuBuffer(device, { label: `read(${src.label})`, size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder({ label: 'readback' });
  enc.copyBufferToBuffer(src, offsetElems * 4, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

export async function readU32(device: GPUDevice, src: GPUBuffer, count: number): Promise<Uint32Array> {
  const f = await readF32(device, src, count);
  return new Uint32Array(f.buffer);
}
