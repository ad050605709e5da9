/**
 * A small ring of MAP_READ staging buffers. The trainer copies the few scalars it logs (loss, grad norm,
 * finite flag) into the next slot at a log interval and starts mapping it; the run loop keeps
 * submitting steps while up to `size` reads are in flight (it awaits a step's logs only when it needs
 * them), so the GPU keeps running. A full ring means the host is behind: acquire() waits for the oldest
 * read (a sync point, and the only one).
 */
import { createGpuBuffer } from './buffers';

export class StagingRing {
  private slots: { buf: GPUBuffer; busy: Promise<Float32Array> | null }[] = [];
  private next = 0;

  constructor(
    device: GPUDevice,
    readonly slotBytes: number,
    count = 4,
  ) {
    for (let i = 0; i < count; i++) {
      this.slots.push({
        buf: createGpuBuffer(device, { label: `staging[${i}]`, size: slotBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
        busy: null,
      });
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** Wait until the next slot is free, then return it; the caller encodes copies into it. */
  async acquire(): Promise<{ index: number; buffer: GPUBuffer }> {
    const slot = this.slots[this.next];
    if (slot.busy) await slot.busy;
    const index = this.next;
    this.next = (this.next + 1) % this.slots.length;
    return { index, buffer: slot.buf };
  }

  /** After the command buffer holding the copies was submitted: start mapping; resolves to the data. */
  read(index: number): Promise<Float32Array> {
    const slot = this.slots[index];
    const p = slot.buf.mapAsync(GPUMapMode.READ).then(() => {
      const data = new Float32Array(slot.buf.getMappedRange().slice(0));
      slot.buf.unmap();
      slot.busy = null;
      return data;
    });
    slot.busy = p;
    return p;
  }

  destroy(): void {
    for (const s of this.slots) s.buf.destroy();
  }
}
