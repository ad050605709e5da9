/**
 * What the page tells the user: the GPU's status (probing, ready with its adapter, or why there is
 * none) and the one list of notices (clamped link values, resets, refused sweeps, rejected imports,
 * failed exports, storage and GPU errors), newest last, each dismissible.
 */
import type { AdapterSummary } from '../gpu/device';
import type { SliceCreator } from './context';
import { DEFAULT_MEMORY_BUDGET } from '../config/memory';

export type GpuStatus =
  | { state: 'probing' }
  | { state: 'ready'; adapter: AdapterSummary }
  | { state: 'error'; kind: string; message: string };

export interface NoticesSlice {
  gpu: GpuStatus;
  notices: string[];
  /** Bytes one run's (or sweep group's) GPU buffers may take in all; the engine refuses bigger ones. */
  memoryBudget: number;
  setGpu(gpu: GpuStatus): void;
  setMemoryBudget(bytes: number): void;
  /** Add notices (one state update for several); one already shown is not shown twice. */
  notify(...texts: string[]): void;
  dismissNotice(i: number): void;
}

export const createNoticesSlice: SliceCreator<NoticesSlice> = (set, _get, ctx) => ({
  gpu: { state: 'probing' },
  notices: [],
  memoryBudget: DEFAULT_MEMORY_BUDGET,
  setGpu: (gpu) => set({ gpu }),
  setMemoryBudget: (bytes) => {
    set({ memoryBudget: bytes });
    ctx.send({ type: 'memory-budget', bytes });
  },
  notify: (...texts) => set((s) => ({ notices: [...s.notices, ...texts.filter((t, i) => !s.notices.includes(t) && texts.indexOf(t) === i)] })),
  dismissNotice: (i) => set((s) => ({ notices: s.notices.filter((_, j) => j !== i) })),
});
