/**
 * The PyTorch grid as the page builds it: a toy sweep's zip is plain data; a language-model sweep's also
 * needs the shipped base folder and texts, fetched from the page's origin (llamaAssets.ts) as a run's
 * language-model bundle gets them (engine/lmExport.ts): the fine-tuning corpus whole, the pretraining
 * corpus's held-out part.
 */
import type { SweepRecord } from '../sweep/types';
import { loadBaseFiles } from '../tasks/llamaAssets';
import { loadLmTexts } from '../tasks/lmTask';
import { splitText } from '../tasks/textData';
import { gridNeedsLm, sweepBundleZip, type LmGridAssets } from './sweepBundle';

/** The base and texts of the sweep's language-model runs (gridExportBlocker: they share one shipped text). */
export async function loadLmGridAssets(s: SweepRecord): Promise<LmGridAssets> {
  const cfg = s.runs.find((r) => r.config.task === 'lm')!.config;
  const [base, texts] = await Promise.all([loadBaseFiles(), loadLmTexts(cfg)]);
  return { base, fineTune: texts.fineTune, pretrainHeldOut: splitText(texts.pretrain).heldOut };
}

/** The grid's zip; a language-model sweep's after fetching its base and texts. */
export async function buildSweepGridZip(s: SweepRecord, version: string): Promise<Uint8Array> {
  return sweepBundleZip(s, version, gridNeedsLm(s) ? await loadLmGridAssets(s) : undefined);
}
