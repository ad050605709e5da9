/**
 * Exports of finished runs, built by the engine (src/engine/exportBundle.ts: base weights, the GPU
 * forward pass on the test inputs, the zip): the store gathers the run's record and trained tensors (a
 * page run's from the store's context, a sweep run's from IndexedDB) and asks for the file. A failure
 * is one notice naming the run. The metrics CSV is only text formatting, made here.
 */
import { version } from '../../package.json';
import type { Download, ExportKind, ExportSource } from '../engine/protocol';
import { bundleName } from '../export/bundle';
import { metricsCsv } from '../export/metricsCsv';
import { isFinished } from '../sweep/types';
import { errorText, request, type LabContext, type SliceCreator } from './context';
import { loadRunWeights } from './persist';
import { keptTensorsProblem } from './keptChecks';
import { runLabel } from './runLabel';
import type { RunRecord } from './runsSlice';

export const LAB_VERSION: string = version;

export interface ExportSlice {
  /** A page run's bundle zip or merged weights; null (after a notice naming the run) when it fails. */
  exportRun(runId: string, kind: ExportKind, opts?: { plainLora?: boolean }): Promise<Download | null>;
  /** The same for a finished run of a kept sweep, its tensors read back from IndexedDB. */
  exportSweepRun(sweepId: string, runId: string, kind: ExportKind): Promise<Download | null>;
}

/** Every logged step of a run as CSV. */
export const metricsDownload = (run: Pick<RunRecord, 'config' | 'points'>): Download => ({
  name: `${bundleName(run.config)}_metrics.csv`,
  bytes: new TextEncoder().encode(metricsCsv(run.points)),
  type: 'text/csv',
});

async function exported(ctx: LabContext, kind: ExportKind, source: ExportSource, plainLora?: boolean): Promise<Download> {
  const m = await request(ctx, (requestId) => ({ type: 'export', requestId, kind, source, version: LAB_VERSION, created: Date.now(), plainLora }));
  if (m.type === 'export-result') return m.download;
  throw new Error(m.type === 'export-error' ? m.message : `unexpected reply ${m.type}`);
}

export const createExportSlice: SliceCreator<ExportSlice> = (_set, get, ctx) => {
  /** Export `source()` or notify: "Export of run <label> failed: <why>". */
  const attempt = async (kind: ExportKind, label: string, source: () => ExportSource | Promise<ExportSource>, plainLora?: boolean) => {
    try {
      return await exported(ctx, kind, await source(), plainLora);
    } catch (e) {
      get().notify(`${kind === 'bundle' ? 'Export' : 'Merged weights'} of run ${label} failed: ${errorText(e)}`);
      return null;
    }
  };
  return {
    exportRun: (runId, kind, opts = {}) => {
      const run = get().runs.find((r) => r.id === runId);
      return attempt(
        kind,
        run?.label ?? runId,
        () => {
          if (!run) throw new Error(`no run ${runId} on the page`);
          const tensors = ctx.runTensors.get(runId);
          if (!tensors) throw new Error('it has no trained weights yet (they arrive when it ends)');
          return { config: run.config, label: run.label, status: run.status, points: run.points, tensors };
        },
        opts.plainLora,
      );
    },
    exportSweepRun: (sweepId, runId, kind) => {
      const rec = get().sweeps.find((s) => s.id === sweepId)?.runs.find((r) => r.runId === runId);
      return attempt(kind, rec ? `${runId} (${runLabel(rec.config)})` : runId, async () => {
        if (!rec) throw new Error('no such run in the sweep');
        if (!rec.status || !isFinished(rec)) throw new Error('it has not finished');
        const tensors = await loadRunWeights(sweepId, runId);
        if (!tensors) throw new Error('its trained weights were not kept in this browser');
        // a damaged record (a broken write, an edit by hand) is refused here, naming what is wrong;
        // lengths that do not fit the run's shapes are refused by the bundle writer
        const damaged = keptTensorsProblem(tensors);
        if (damaged) throw new Error(`its kept weights are damaged (${damaged}), so it cannot be exported`);
        return { config: rec.config, label: runLabel(rec.config), status: rec.status, points: rec.points, tensors };
      });
    },
  };
};
