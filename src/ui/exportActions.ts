/**
 * The page's side of exports: gather a finished run's data (store record, trained tensors, the task's
 * base weights, the GPU forward pass on the test inputs), build the files with the pure functions of
 * src/export, and hand them to the browser as downloads (Blob + <a download>).
 */
import { version } from '../../package.json';
import { buildTask } from '../tasks/toy';
import { requestForward, runWeights } from '../store/engineCalls';
import { useLab } from '../store/store';
import { useSweeps } from '../store/sweeps';
import { loadRunWeights } from '../store/persist';
import { runLabel } from '../store/runLabel';
import { isFinished } from '../sweep/types';
import type { RunConfig } from '../config/schema';
import type { MetricPoint, RunStatus, TensorMap } from '../engine/protocol';
import { bundleFiles, bundleName, mergedFile, zipFiles } from '../export/bundle';
import { caseInputs, CASE_ROWS } from '../export/testCases';
import { metricsCsv } from '../export/metricsCsv';

export const LAB_VERSION: string = version;

export interface Download {
  name: string;
  bytes: Uint8Array;
  type: string;
}

/** What an export needs of a run, from the page's runs or a kept sweep's. */
interface ExportSource {
  config: RunConfig;
  label: string;
  status: RunStatus;
  points: readonly MetricPoint[];
  tensors: TensorMap;
}

function finishedRun(runId: string): ExportSource {
  const run = useLab.getState().runs.find((r) => r.id === runId);
  if (!run) throw new Error(`no run ${runId} on the page`);
  const tensors = runWeights.get(runId);
  if (!tensors) throw new Error(`run "${run.label}" has no trained weights yet (they arrive when it ends)`);
  return { ...run, tensors };
}

/** A finished run of a kept sweep, its tensors read back from IndexedDB. */
async function sweepRun(sweepId: string, runId: string): Promise<ExportSource> {
  const rec = useSweeps.getState().sweeps.find((s) => s.id === sweepId)?.runs.find((r) => r.runId === runId);
  if (!rec) throw new Error(`no run ${runId} in the sweep`);
  if (!rec.status || !isFinished(rec)) throw new Error(`run ${runId} has not finished`);
  const tensors = await loadRunWeights(sweepId, runId);
  if (!tensors) throw new Error(`the trained weights of run ${runId} were not kept in this browser`);
  return { config: rec.config, label: runLabel(rec.config), status: rec.status, points: rec.points, tensors };
}

/**
 * The task's frozen base weights. Base weights come from their own seeded streams, so a 16-example
 * eval set gives the same weights without the cost of the run's full eval set.
 */
const baseWeights = (cfg: RunConfig) => buildTask({ ...cfg, evalSize: 16, trainSize: 0 });

/** The export zip of a finished run: the PEFT adapter (or FFT weights), base model, test cases, script, README. */
async function bundleOf(run: ExportSource): Promise<Download> {
  const cfg = run.config;
  const inputs = caseInputs(cfg, CASE_ROWS);
  // The test outputs come from the page's own GPU forward pass: what other tools must reproduce.
  const { base, adapted } = await requestForward(cfg, run.tensors, inputs, CASE_ROWS);
  const created = new Date();
  const files = bundleFiles({
    config: cfg,
    label: run.label,
    status: run.status,
    points: run.points,
    tensors: run.tensors,
    base: baseWeights(cfg),
    cases: { inputs, rows: CASE_ROWS, base, adapted },
    version: LAB_VERSION,
    created,
  });
  return { name: `${bundleName(cfg)}.zip`, bytes: zipFiles(files, created), type: 'application/zip' };
}

const mergedOf = (run: ExportSource): Download => ({
  name: `${bundleName(run.config)}_merged.safetensors`,
  bytes: mergedFile(run.config, baseWeights(run.config), run.tensors, LAB_VERSION),
  type: 'application/octet-stream',
});

export const runBundle = (runId: string): Promise<Download> => bundleOf(finishedRun(runId));
export const runMerged = (runId: string): Download => mergedOf(finishedRun(runId));
export const sweepRunBundle = async (sweepId: string, runId: string): Promise<Download> => bundleOf(await sweepRun(sweepId, runId));
export const sweepRunMerged = async (sweepId: string, runId: string): Promise<Download> => mergedOf(await sweepRun(sweepId, runId));

export function runMetricsCsv(runId: string): Download {
  const run = useLab.getState().runs.find((r) => r.id === runId);
  if (!run) throw new Error(`no run ${runId} on the page`);
  return { name: `${bundleName(run.config)}_metrics.csv`, bytes: new TextEncoder().encode(metricsCsv(run.points)), type: 'text/csv' };
}

/** Save bytes as a file through the browser's download mechanism. */
export function download(d: Download): void {
  const url = URL.createObjectURL(new Blob([d.bytes.slice().buffer], { type: d.type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = d.name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function notify(message: string): void {
  useLab.setState((s) => ({ notices: [...s.notices, message] }));
}

/** Run an export action and download its result; a failure becomes one notice naming the run. */
export async function exportAndDownload(what: string, label: string, make: () => Download | Promise<Download>): Promise<void> {
  try {
    download(await make());
  } catch (e) {
    notify(`${what} of run ${label} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
