/**
 * Messages between the page and the engine worker: tagged unions of plain data (structured-clone safe).
 * UI -> store -> (these messages) -> engine -> GPU -> metrics -> (these messages) -> store -> charts.
 */
import type { AdapterSummary, GpuErrorKind } from '../gpu/device';

export type ToEngine = { type: 'init' };

export type FromEngine =
  | { type: 'ready'; adapter: AdapterSummary }
  | { type: 'error'; kind: GpuErrorKind | 'engine'; message: string };
