/**
 * Checks of what comes back from IndexedDB before the page uses it. A record can be damaged (written
 * by a broken build, edited by hand, cut short) or be of a shape this page does not know; one such
 * record must not stop the others from loading, nor break the page when drawn. Each check returns what
 * is wrong (naming the field) or null. They check what the page reads, not every field.
 */
import { validateConfig } from '../config/schema';

const STATES = ['building', 'running', 'paused', 'done', 'diverged', 'collapsed', 'stopped', 'failed'];
const SWEEP_STATES = ['running', 'done', 'cancelled', 'interrupted', 'imported'];

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function configProblem(raw: unknown, where: string): string | null {
  if (!isObject(raw)) return `${where} is not a settings object`;
  const { errors } = validateConfig(raw);
  return errors.length ? `${where}: ${errors[0]}` : null;
}

function statusProblem(raw: unknown, where: string, nullable: boolean): string | null {
  if (raw === null && nullable) return null;
  if (!isObject(raw) || !STATES.includes(raw.state as string) || typeof raw.step !== 'number') return `${where} is not a run status`;
  return null;
}

function pointsProblem(raw: unknown, where: string): string | null {
  if (!Array.isArray(raw)) return `${where} is not a list`;
  const bad = raw.findIndex((p) => !isObject(p) || typeof p.step !== 'number' || typeof p.loss !== 'number');
  return bad < 0 ? null : `${where}[${bad}] is not a logged point`;
}

/** What is wrong with a kept sweep record (store/persist.ts 'sweeps'), or null. */
export function keptSweepProblem(rec: unknown): string | null {
  if (!isObject(rec)) return 'not a sweep record';
  if (typeof rec.id !== 'string' || typeof rec.name !== 'string' || typeof rec.createdAt !== 'number') return 'id, name or createdAt missing';
  if (!SWEEP_STATES.includes(rec.state as string)) return `state "${String(rec.state)}" unknown`;
  if (!isObject(rec.def)) return 'the sweep definition is missing';
  const base = configProblem(rec.base, 'base settings');
  if (base) return base;
  if (!Array.isArray(rec.runs) || rec.runs.length === 0) return 'runs is not a non-empty list';
  for (const [i, r] of rec.runs.entries()) {
    const where = `run ${i + 1}`;
    if (!isObject(r) || typeof r.runId !== 'string') return `${where} has no runId`;
    if (!isObject(r.axes) || typeof r.axes.log2lr !== 'number') return `${where}: axes missing`;
    const p = configProblem(r.config, `${where} settings`) ?? statusProblem(r.status, `${where} status`, true) ?? pointsProblem(r.points, `${where} points`);
    if (p) return p;
  }
  return null;
}

/** What is wrong with kept trained tensors (a run's, or a sweep run's in 'weights'), or null: named Float32Arrays, not empty. */
export function keptTensorsProblem(t: unknown): string | null {
  if (!isObject(t) || Object.keys(t).length === 0) return 'not a set of named tensors';
  const bad = Object.entries(t).find(([, v]) => !(v instanceof Float32Array) || v.length === 0);
  return bad ? `tensor ${bad[0]} is not a list of float32 values` : null;
}

/** What is wrong with a kept run of the training page (store/persist.ts 'runs'), or null. */
export function keptRunProblem(k: unknown): string | null {
  if (!isObject(k) || typeof k.id !== 'string' || typeof k.order !== 'number') return 'not a kept run';
  const rec = k.rec;
  if (!isObject(rec) || rec.id !== k.id || typeof rec.label !== 'string') return 'its record is missing';
  if (rec.inspect !== undefined && !Array.isArray(rec.inspect)) return 'its inspections are damaged';
  if (k.tensors !== undefined && keptTensorsProblem(k.tensors)) return 'its trained tensors are damaged';
  return configProblem(rec.config, 'settings') ?? statusProblem(rec.status, 'status', false) ?? pointsProblem(rec.points, 'points');
}
