/**
 * The page's side of exports: gather a finished run's data (store record, trained tensors, the task's
 * base weights, the GPU forward pass on the test inputs), build the files with the pure functions of
 * src/export, and hand them to the browser as downloads (Blob + <a download>).
 */
import { version } from '../../package.json';
import { buildTask } from '../tasks/toy';
import { requestForward, runWeights } from '../store/engineCalls';
import { useLab, type RunRecord } from '../store/store';
import { bundleFiles, bundleName, mergedFile, zipFiles } from '../export/bundle';
import { caseInputs, CASE_ROWS } from '../export/testCases';
import { metricsCsv } from '../export/metricsCsv';

export const LAB_VERSION: string = version;

export interface Download {
  name: string;
  bytes: Uint8Array;
  type: string;
}

function finishedRun(runId: string): { run: RunRecord; tensors: NonNullable<ReturnType<typeof runWeights.get>> } {
  const run = useLab.getState().runs.find((r) => r.id === runId);
  if (!run) throw new Error(`no run ${runId} on the page`);
  const tensors = runWeights.get(runId);
  if (!tensors) throw new Error(`run "${run.label}" has no trained weights yet (they arrive when it ends)`);
  return { run, tensors };
}

/**
 * The task's frozen base weights. Base weights come from their own seeded streams, so a 16-example
 * eval set gives the same weights without the cost of the run's full eval set.
 */
const baseWeights = (run: RunRecord) => buildTask({ ...run.config, evalSize: 16, trainSize: 0 });

/** The export zip of a finished run: the PEFT adapter (or FFT weights), base model, test cases, script, README. */
export async function runBundle(runId: string): Promise<Download> {
  const { run, tensors } = finishedRun(runId);
  const cfg = run.config;
  const inputs = caseInputs(cfg, CASE_ROWS);
  // The test outputs come from the page's own GPU forward pass: what other tools must reproduce.
  const { base, adapted } = await requestForward(cfg, tensors, inputs, CASE_ROWS);
  const created = new Date();
  const files = bundleFiles({
    config: cfg,
    label: run.label,
    status: run.status,
    points: run.points,
    tensors,
    base: baseWeights(run),
    cases: { inputs, rows: CASE_ROWS, base, adapted },
    version: LAB_VERSION,
    created,
  });
  return { name: `${bundleName(cfg)}.zip`, bytes: zipFiles(files, created), type: 'application/zip' };
}

export function runMerged(runId: string): Download {
  const { run, tensors } = finishedRun(runId);
  return { name: `${bundleName(run.config)}_merged.safetensors`, bytes: mergedFile(run.config, baseWeights(run), tensors, LAB_VERSION), type: 'application/octet-stream' };
}

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

/** Run an export action and download its result; a failure becomes one notice. */
export async function exportAndDownload(what: string, runId: string, make: (id: string) => Download | Promise<Download>): Promise<void> {
  try {
    download(await make(runId));
  } catch (e) {
    const label = useLab.getState().runs.find((r) => r.id === runId)?.label ?? runId;
    notify(`${what} of run ${label} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
