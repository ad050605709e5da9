/**
 * `window.loraLab.sweep`: run a sweep through the same store and engine as the Sweeps section's button,
 * for the command line (`lab sweep`) and tests. Everything crossing the page boundary is plain JSON.
 *
 *   await loraLab.sweep(config, sweepDef, { onProgress })
 *     -> { sweepId, state, json, csv } once the sweep ended; onProgress({ done, total }) as runs end.
 * `sweepDef` is a partial SweepDef (src/sweep/types.ts): fields left out keep the defaults; an unknown
 * field is an error naming it.
 */
import { validateConfig } from '../config/schema';
import { DEFAULT_SWEEP } from '../sweep/grid';
import { rowsToCsv, sweepToJson } from '../sweep/io';
import { summarizeRun } from '../sweep/analysis';
import { isFinished, type SweepDef, type SweepRecord } from '../sweep/types';
import { useLab } from '../store/store';

export interface SweepResult {
  sweepId: string;
  state: string;
  json: string;
  csv: string;
}

/** Strict: the sweep definition's fields, each checked by the grid builder's own rules afterwards. */
export function sweepDefFrom(raw: unknown): { def: SweepDef; errors: string[] } {
  const def = structuredClone(DEFAULT_SWEEP) as SweepDef;
  if (raw === undefined || raw === null) return { def, errors: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { def, errors: ['sweep must be an object of sweep fields'] };
  const errors: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (!Object.hasOwn(DEFAULT_SWEEP, k)) errors.push(`unknown sweep field "${k}" (known: ${Object.keys(DEFAULT_SWEEP).join(', ')})`);
    else (def as unknown as Record<string, unknown>)[k] = v;
  }
  return { def, errors };
}

export async function runSweep(rawConfig: unknown, rawDef: unknown, opts: { onProgress?: (p: { done: number; total: number }) => void } = {}): Promise<SweepResult> {
  const { config, errors } = validateConfig(rawConfig ?? {});
  const d = sweepDefFrom(rawDef);
  if (errors.length || d.errors.length) throw new Error(`invalid sweep: ${[...errors, ...d.errors].join('; ')}`);
  const lab = useLab.getState();
  lab.setSweepDef(d.def);
  const refused = lab.startSweep({ name: 'lab sweep', base: config });
  if (refused.length) throw new Error(`sweep refused: ${refused.join('; ')}`);
  const sweepId = useLab.getState().activeSweep!.sweepId;
  let reported = -1;
  const rec = await new Promise<SweepRecord>((resolve, reject) => {
    const check = () => {
      const s = useLab.getState();
      const r = s.sweeps.find((x) => x.id === sweepId);
      if (!r) return reject(new Error('the sweep was removed'));
      const done = r.runs.filter(isFinished).length;
      if (done !== reported) opts.onProgress?.({ done: (reported = done), total: r.runs.length });
      if (s.activeSweep?.sweepId !== sweepId && r.state !== 'running') {
        unsub();
        resolve(r);
      }
    };
    const unsub = useLab.subscribe(check);
    check();
  });
  return { sweepId, state: rec.state, json: sweepToJson(rec), csv: rowsToCsv(rec.runs.map(summarizeRun)) };
}
