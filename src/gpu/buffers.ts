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

export function createStorageBuffer(device: GPUDevice, label: string, bytes: number, usage = 0): GPUBuffer {
  // Zero-size buffers cannot be bound; a 4-byte minimum keeps empty edges (N = 0) legal.
  return device.createBuffer({
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
  const staging = device.createBuffer({ label: `read(${src.label})`, size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
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
