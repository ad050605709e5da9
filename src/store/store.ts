/**
 * The one store, built from slices: serialisable state only (no GPU objects, no workers); what is not
 * state (the engine connection, trained tensors, pending requests, the sweep message queue) lives in
 * the store's context (context.ts). Every message to the engine is sent by a store action; every
 * message from it comes in through `receive`.
 * UI -> store -> engine -> GPU -> metrics -> store -> charts.
 */
import { create } from 'zustand';
import type { FromEngine, ToEngine } from '../engine/protocol';
import { createContext, settle, type GetLab, type LabContext, type SetLab } from './context';
import { createExportSlice, type ExportSlice } from './exportSlice';
import { createImportSlice, type ImportSlice } from './importSlice';
import { createNoticesSlice, type NoticesSlice } from './noticesSlice';
import { createRunsSlice, receiveRunMessage, type RunsSlice } from './runsSlice';
import { createSweepMessagesSlice, receiveSweepMessage, type SweepMessagesSlice } from './sweepMessages';
import { createSweepsSlice, type SweepsSlice } from './sweepsSlice';
import { createLmSlice, type LmSlice } from './lmSlice';

export { isActive, MAX_RUNS, type ChartSettings, type RunRecord } from './runsSlice';
export type { GpuStatus } from './noticesSlice';
export { calibrationKey, type Calibration, type SweepProgress } from './sweepsSlice';
export { FLUSH_MS } from './sweepMessages';
export { LAB_VERSION, metricsDownload } from './exportSlice';

export interface EngineSlice {
  /** Attach the engine (from now on the store's actions post through `send`) and ask for its GPU. */
  connect(send: (m: ToEngine) => void): void;
  /** Engine -> store: replies to requests, sweep messages, the page's runs, the GPU's status. */
  receive(m: FromEngine): void;
}

export type LabState = NoticesSlice & RunsSlice & SweepsSlice & SweepMessagesSlice & ImportSlice & ExportSlice & LmSlice & EngineSlice;

function receive(m: FromEngine, set: SetLab, get: GetLab, ctx: LabContext): void {
  if ('requestId' in m) return settle(ctx, m);
  if (receiveSweepMessage(m, set, get, ctx)) return;
  switch (m.type) {
    case 'ready':
      get().setGpu({ state: 'ready', adapter: m.adapter });
      break;
    case 'error':
      if (get().gpu.state !== 'ready') get().setGpu({ state: 'error', kind: m.kind, message: m.message });
      else get().notify(`GPU error (${m.kind}): ${m.message}`);
      break;
    default:
      receiveRunMessage(m, set, get, ctx);
  }
}

export function createLabStore() {
  const ctx = createContext();
  return create<LabState>()((set, get) => ({
    ...createNoticesSlice(set, get, ctx),
    ...createRunsSlice(set, get, ctx),
    ...createSweepsSlice(set, get, ctx),
    ...createSweepMessagesSlice(set, get, ctx),
    ...createImportSlice(set, get, ctx),
    ...createExportSlice(set, get, ctx),
    ...createLmSlice(set, get, ctx),
    connect: (send) => {
      ctx.send = send;
      send({ type: 'init' });
      // a budget kept from an earlier visit holds in the engine from the first run
      send({ type: 'memory-budget', bytes: get().memoryBudget });
    },
    receive: (m) => receive(m, set, get, ctx),
  }));
}

export type LabStore = ReturnType<typeof createLabStore>;

export const useLab = createLabStore();

/** Engine -> the page's store (main.tsx hands the worker's messages here). */
export const applyEngineMessage = (m: FromEngine) => useLab.getState().receive(m);
