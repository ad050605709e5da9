/**
 * Uniform packing: f32/u32/i32 scalars in WGSL struct field order. Scalars are 4 bytes with 4-byte
 * alignment, so the struct is the fields back to back, padded to 16 bytes (uniform buffer size rule).
 */
import { createGpuBuffer } from './buffers';

export type UniformField = ['f32' | 'u32' | 'i32', number];

export function packUniforms(fields: UniformField[]): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const buf = new ArrayBuffer(bytes);
  const dv = new DataView(buf);
  fields.forEach(([type, v], i) => {
    if (type === 'f32') dv.setFloat32(i * 4, v, true);
    else if (type === 'u32') dv.setUint32(i * 4, v >>> 0, true);
    else dv.setInt32(i * 4, v | 0, true);
  });
  return buf;
}

export function createUniformBuffer(device: GPUDevice, label: string, fields: UniformField[]): GPUBuffer {
  const data = packUniforms(fields);
  const buf = createGpuBuffer(device, { label, size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, data);
  return buf;
}

export function writeUniforms(device: GPUDevice, buf: GPUBuffer, fields: UniformField[]): void {
  device.queue.writeBuffer(buf, 0, packUniforms(fields));
}
