/**
 * A finished run's export, built in the worker: the task's frozen base weights, the GPU forward pass on
 * the test inputs (the outputs other tools must reproduce), then the files (the pure functions of
 * src/export) and one zip, or the merged weights alone. The page only saves the bytes.
 */
import type { RunConfig } from '../config/schema';
import { buildTask } from '../tasks/toy';
import { bundleFiles, bundleName, mergedFile, zipFiles } from '../export/bundle';
import { caseInputs, CASE_ROWS } from '../export/testCases';
import { forwardOutputs } from './forward';
import { lmExportDownload } from './lmExport';
import type { Download, ExportKind, ExportSource } from './protocol';

/**
 * The task's frozen base weights. They come from their own seeded streams, so a 16-example eval set
 * gives the same weights without the cost of the run's full eval and training sets.
 */
const baseWeights = (cfg: RunConfig) => buildTask({ ...cfg, evalSize: 16, trainSize: 0 });

export interface ExportRequest {
  kind: ExportKind;
  source: ExportSource;
  version: string;
  /** Milliseconds since the epoch: the README's date and the zip entries' time stamps. */
  created: number;
  /** Language model, rsLoRA: write the adapter as plain LoRA (lora_alpha * sqrt(r), use_rslora false). */
  plainLora?: boolean;
}

export async function exportDownload(device: GPUDevice, { kind, source, version, created, plainLora }: ExportRequest, userText?: Uint8Array): Promise<Download> {
  const cfg = source.config;
  if (cfg.task === 'lm') return lmExportDownload(device, kind, source, { plainLora, userText });
  const base = baseWeights(cfg);
  if (kind === 'merged') {
    return { name: `${bundleName(cfg)}_merged.safetensors`, bytes: mergedFile(cfg, base, source.tensors, version), type: 'application/octet-stream' };
  }
  const inputs = caseInputs(cfg, CASE_ROWS); // (CASE_ROWS, dIn)
  const { base: baseOut, adapted } = await forwardOutputs(device, cfg, source.tensors, inputs, CASE_ROWS);
  const date = new Date(created);
  const files = bundleFiles({
    config: cfg,
    label: source.label,
    status: source.status,
    points: source.points,
    tensors: source.tensors,
    base,
    cases: { inputs, rows: CASE_ROWS, base: baseOut, adapted },
    version,
    created: date,
  });
  return { name: `${bundleName(cfg)}.zip`, bytes: zipFiles(files, date), type: 'application/zip' };
}
