/** The one store: serialisable state only (no GPU objects, no workers). */
import { create } from 'zustand';
import type { AdapterSummary } from '../gpu/device';

export type GpuStatus =
  | { state: 'probing' }
  | { state: 'ready'; adapter: AdapterSummary }
  | { state: 'error'; kind: string; message: string };

export interface LabState {
  gpu: GpuStatus;
  setGpu(gpu: GpuStatus): void;
}

export const useLab = create<LabState>()((set) => ({
  gpu: { state: 'probing' },
  setGpu: (gpu) => set({ gpu }),
}));
