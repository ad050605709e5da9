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

/** Where the memory budget the user set is kept across reloads (one number; no IndexedDB needed). */
export const BUDGET_KEY = 'lora-lab-memory-budget';

/** The budget kept in this browser, if one is there and sane (at least 16 MiB); storage may be refused. */
export function keptBudget(): number | null {
  try {
    const v = Number(globalThis.localStorage?.getItem(BUDGET_KEY));
    return Number.isFinite(v) && v >= 16 * 2 ** 20 ? v : null;
  } catch {
    return null; // no storage (a private window, a sandbox): the default
  }
}

export const createNoticesSlice: SliceCreator<NoticesSlice> = (set, get, ctx) => ({
  gpu: { state: 'probing' },
  notices: [],
  memoryBudget: keptBudget() ?? DEFAULT_MEMORY_BUDGET,
  setGpu: (gpu) => set({ gpu }),
  setMemoryBudget: (bytes) => {
    set({ memoryBudget: bytes });
    ctx.send({ type: 'memory-budget', bytes });
    try {
      globalThis.localStorage?.setItem(BUDGET_KEY, String(bytes));
    } catch {
      get().notify('Could not keep the memory budget in this browser: it applies until the page is reloaded.');
    }
  },
  notify: (...texts) => set((s) => ({ notices: [...s.notices, ...texts.filter((t, i) => !s.notices.includes(t) && texts.indexOf(t) === i)] })),
  dismissNotice: (i) => set((s) => ({ notices: s.notices.filter((_, j) => j !== i) })),
});
