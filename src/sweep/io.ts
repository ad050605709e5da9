/**
 * A sweep to and from files.
 * - CSV: one row per run: runId, state, every config field (table order), finalLoss, bestLoss, evalLoss,
 *   pretrainEvalLoss (the language model's pretraining-text loss; NaN for the toy), divergedStep,
 *   stepsPerSec. RFC 4180 quoting; lists as "1,2" (lmTargets as its cells); non-finite numbers as NaN /
 *   Infinity. Losses as the engine logged them (the language model's in nats per byte).
 * - JSON: the whole sweep (definition, settings, every run's config, axes, status and logged points) plus
 *   the same per-run summary, so it can be imported back and viewed. JSON has no NaN or Infinity, so
 *   non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity".
 * Importing validates everything and either returns a complete sweep or a message; it never half-loads.
 */
import { FIELDS, validateConfig, type RunConfig } from '../config/schema';
import type { MetricPoint, RunState, RunStatus } from '../engine/protocol';
import { formatTargetSet } from '../tasks/lmTargets';
import { summarizeRun, type RunRow } from './analysis';
import { partsToSweep, splitSweepQuery, sweepToQuery } from './url';
import type { RunAxes, SweepRecord, SweepRunRecord, SweepState } from './types';

export const JSON_FORMAT = 'lora-lab-sweep';
export const JSON_VERSION = 1;

const METRICS = ['finalLoss', 'bestLoss', 'evalLoss', 'pretrainEvalLoss', 'divergedStep', 'stepsPerSec'] as const;
export const CSV_COLUMNS: readonly string[] = ['runId', 'state', ...FIELDS.map((f) => f.key), ...METRICS];

const num = (x: number | null): string => (x === null ? '' : String(x)); // String(NaN) = 'NaN', String(Infinity) = 'Infinity'

function quote(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function rowsToCsv(rows: readonly RunRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    const cfg = FIELDS.map((f) => {
      const v = r.config[f.key];
      return Array.isArray(v) ? v.join(',') : String(v);
    });
    const cells = [r.runId, r.state, ...cfg, num(r.finalLoss), num(r.bestLoss), num(r.evalLoss), num(r.pretrainEvalLoss), num(r.divergedStep), num(r.stepsPerSec)];
    lines.push(cells.map(quote).join(','));
  }
  return lines.join('\n') + '\n';
}

/** RFC 4180 fields: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell), rows.push(row), (row = []), (cell = '');
    } else cell += ch;
  }
  if (quoted) throw new Error('CSV: a quoted cell is never closed (the file is cut short?)');
  if (cell !== '' || row.length) row.push(cell), rows.push(row);
  return rows;
}

/** A number as String(x) writes it (and the exponent forms), or NaN / Infinity / -Infinity; nothing else. */
const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^(NaN|-?Infinity)$/;
const RUN_STATES: readonly RunRow['state'][] = ['pending', 'building', 'running', 'paused', 'done', 'diverged', 'collapsed', 'stopped', 'failed'];

/** CSV text -> run rows (the inverse of rowsToCsv); throws with a message naming the row and column. */
export function csvToRows(text: string): RunRow[] {
  // rowsToCsv ends every row with a newline: a file that does not was cut inside its last row
  if (text !== '' && !text.endsWith('\n')) throw new Error('CSV: the file ends inside a row (cut short?)');
  const [head, ...body] = parseCsv(text);
  if (!head || head.join(',') !== CSV_COLUMNS.join(',')) throw new Error('not a LoRA Lab sweep CSV: the header row differs');
  const ids = new Set<string>();
  return body.map((cells, i) => {
    const where = `CSV row ${i + 2}`;
    if (cells.length !== head.length) throw new Error(`${where}: ${cells.length} cells, expected ${head.length}`);
    const get = (k: string) => cells[head.indexOf(k)];
    const number = (k: string, s = get(k)): number => {
      if (!NUMBER.test(s)) throw new Error(`${where}: ${k} must be a number (got ${JSON.stringify(s)})`);
      return Number(s);
    };
    const raw: Record<string, unknown> = {};
    for (const f of FIELDS) {
      const s = get(f.key);
      if (f.type === 'bool' && s !== 'true' && s !== 'false') throw new Error(`${where}: ${f.key} must be true or false (got ${JSON.stringify(s)})`);
      raw[f.key] = f.type === 'intList' ? (s === '' ? [] : s.split(',').map((x) => number(f.key, x))) : f.type === 'enum' ? s : f.type === 'bool' ? s === 'true' : number(f.key, s);
    }
    const { config, errors } = validateConfig(raw);
    if (errors.length) throw new Error(`${where}: ${errors[0]}`);
    const runId = get('runId');
    if (runId === '' || ids.has(runId)) throw new Error(`${where}: runId ${JSON.stringify(runId)} is empty or repeated`);
    ids.add(runId);
    const state = get('state') as RunRow['state'];
    if (!RUN_STATES.includes(state)) throw new Error(`${where}: state must be one of ${RUN_STATES.join(', ')} (got ${JSON.stringify(state)})`);
    const d = get('divergedStep');
    const divergedStep = d === '' ? null : number('divergedStep');
    if (divergedStep !== null && !Number.isInteger(divergedStep)) throw new Error(`${where}: divergedStep must be an integer or empty (got ${JSON.stringify(d)})`);
    return { runId, state, config, finalLoss: number('finalLoss'), bestLoss: number('bestLoss'), evalLoss: number('evalLoss'), pretrainEvalLoss: number('pretrainEvalLoss'), divergedStep, stepsPerSec: number('stepsPerSec') };
  });
}

// ---------------------------------------------------------------------------------------------------
// JSON

type Json = number | string | boolean | null | Json[] | { [k: string]: Json };
const enc = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
/** A number, or one of the strings enc writes for non-finite numbers; anything else is refused. */
const dec = (x: unknown, where = 'sweep file'): number => {
  if (typeof x === 'number') return x;
  if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') return Number(x);
  throw new Error(`${where}: ${JSON.stringify(x)} is not a number`);
};

/**
 * Points as arrays: [step, loss, evalLoss | null, gradNorm, lr, stepsPerSec, divergedStep], and for a
 * model with several eval sets (the language model) an 8th item, every set's loss (evalLosses).
 */
function encPoint(p: MetricPoint): (number | string | null | (number | string)[])[] {
  const a: (number | string | null | (number | string)[])[] = [p.step, enc(p.loss), p.evalLoss === undefined ? null : enc(p.evalLoss), enc(p.gradNorm), p.lr, enc(p.stepsPerSec), p.divergedStep];
  if (p.evalLosses) a.push(p.evalLosses.map(enc));
  return a;
}

function decPoint(a: unknown, where: string): MetricPoint {
  if (!Array.isArray(a) || (a.length !== 7 && a.length !== 8)) throw new Error(`${where}: a point must be [step, loss, evalLoss, gradNorm, lr, stepsPerSec, divergedStep] (and evalLosses)`);
  const d = (x: unknown) => dec(x, where);
  const p: MetricPoint = { step: d(a[0]), loss: d(a[1]), gradNorm: d(a[3]), lr: d(a[4]), stepsPerSec: d(a[5]), divergedStep: d(a[6]) };
  if (a[2] !== null) p.evalLoss = d(a[2]);
  if (a.length === 8) {
    if (!Array.isArray(a[7])) throw new Error(`${where}: evalLosses must be a list`);
    p.evalLosses = a[7].map(d);
  }
  if (!Number.isInteger(p.step) || !Number.isInteger(p.divergedStep)) throw new Error(`${where}: step and divergedStep must be integers`);
  return p;
}

const encStatus = (s: RunStatus | null): Json => (s === null ? null : (JSON.parse(JSON.stringify(s, (_k, v) => (typeof v === 'number' ? enc(v) : v))) as Json));

export function sweepToJson(s: SweepRecord): string {
  const doc = {
    format: JSON_FORMAT,
    version: JSON_VERSION,
    id: s.id,
    name: s.name,
    createdAt: s.createdAt,
    presetId: s.presetId ?? null,
    state: s.state,
    definition: sweepToQuery(s.def),
    base: s.base,
    runs: s.runs.map((r) => {
      const row = summarizeRun(r);
      return {
        runId: r.runId,
        config: r.config,
        axes: r.axes,
        status: encStatus(r.status),
        summary: { finalLoss: enc(row.finalLoss), bestLoss: enc(row.bestLoss), evalLoss: enc(row.evalLoss), pretrainEvalLoss: enc(row.pretrainEvalLoss), divergedStep: row.divergedStep, stepsPerSec: enc(row.stepsPerSec) },
        points: r.points.map(encPoint),
      };
    }),
  };
  return JSON.stringify(doc, null, 1);
}

const STATES: readonly RunState[] = ['building', 'running', 'paused', 'done', 'diverged', 'collapsed', 'stopped', 'failed'];
const SWEEP_STATES: readonly SweepState[] = ['running', 'done', 'cancelled', 'interrupted', 'imported'];

function checkedConfig(raw: unknown, where: string): RunConfig {
  const { config, errors } = validateConfig(raw);
  if (errors.length) throw new Error(`${where}: ${errors[0]}`);
  return config;
}

function decStatus(raw: unknown, where: string): RunStatus | null {
  if (raw === null) return null;
  const o = raw as Record<string, unknown>;
  if (typeof o !== 'object' || !STATES.includes(o.state as RunState)) throw new Error(`${where}: status.state must be one of ${STATES.join(', ')}`);
  const s: RunStatus = { state: o.state as RunState, step: dec(o.step, `${where}: status.step`), stepsPerSec: dec(o.stepsPerSec, `${where}: status.stepsPerSec`) };
  if (o.divergedStep !== undefined) s.divergedStep = dec(o.divergedStep, `${where}: status.divergedStep`);
  if (o.finalLoss !== undefined) s.finalLoss = dec(o.finalLoss, `${where}: status.finalLoss`);
  if (typeof o.message === 'string') s.message = o.message;
  return s;
}

function decAxes(raw: unknown, config: RunConfig, where: string): RunAxes {
  const a = raw as Partial<RunAxes> | null;
  if (!a || typeof a !== 'object' || typeof a.fft !== 'boolean' || typeof a.log2lr !== 'number') throw new Error(`${where}: axes missing or malformed`);
  return { fft: a.fft, rank: config.r, log2lr: a.log2lr, alpha: typeof a.alpha === 'number' ? a.alpha : null, init: config.init, scaling: config.scaling, targets: config.targets.join(','), lmTargets: formatTargetSet(config.lmTargets), seed: config.seed, optimizer: config.optimizer, loraPlusRatio: config.loraPlusRatio };
}

/** A sweep JSON file -> the sweep, or an Error whose message says what is wrong (nothing is changed). */
export function jsonToSweep(text: string): SweepRecord {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!doc || typeof doc !== 'object' || doc.format !== JSON_FORMAT) throw new Error(`not a LoRA Lab sweep file (no "format": "${JSON_FORMAT}")`);
  if (doc.version !== JSON_VERSION) throw new Error(`unsupported sweep file version ${String(doc.version)} (this page reads version ${JSON_VERSION})`);
  if (typeof doc.id !== 'string' || typeof doc.name !== 'string') throw new Error('sweep file: "id" and "name" must be strings');
  if (!Array.isArray(doc.runs) || doc.runs.length === 0) throw new Error('sweep file: "runs" must be a non-empty list');
  const parsed = partsToSweep(splitSweepQuery(typeof doc.definition === 'string' ? doc.definition : '').sweep);
  if (parsed.notices.length) throw new Error(`sweep file: definition: ${parsed.notices[0]}`);
  const base = checkedConfig(doc.base, 'sweep file: base settings');
  const ids = new Set<string>();
  const runs: SweepRunRecord[] = doc.runs.map((raw: unknown, i: number) => {
    const where = `sweep file: run ${i + 1}`;
    const o = raw as Record<string, unknown>;
    if (!o || typeof o !== 'object' || typeof o.runId !== 'string' || ids.has(o.runId)) throw new Error(`${where}: "runId" missing or repeated`);
    ids.add(o.runId);
    const config = checkedConfig(o.config, `${where}: config`);
    if (!Array.isArray(o.points)) throw new Error(`${where}: "points" must be a list`);
    const rec: SweepRunRecord = { runId: o.runId, config, axes: decAxes(o.axes, config, where), status: decStatus(o.status, where), points: o.points.map((p: unknown, k: number) => decPoint(p, `${where} point ${k + 1}`)) };
    // A run with no points (imported from a CSV) has only its summary: keep it, or its results are lost.
    const sum = o.summary as Record<string, unknown> | undefined;
    if (rec.points.length === 0 && rec.status !== null && sum && typeof sum === 'object') rec.summary = { finalLoss: dec(sum.finalLoss), bestLoss: dec(sum.bestLoss), evalLoss: dec(sum.evalLoss), pretrainEvalLoss: dec(sum.pretrainEvalLoss) };
    return rec;
  });
  const state = SWEEP_STATES.includes(doc.state as SweepState) ? (doc.state as SweepState) : 'imported';
  return { id: doc.id, name: doc.name, createdAt: typeof doc.createdAt === 'number' ? doc.createdAt : Date.now(), def: parsed.def, base, presetId: typeof doc.presetId === 'string' ? doc.presetId : undefined, state, runs };
}
