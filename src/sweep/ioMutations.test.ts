/**
 * Sweep CSV and JSON import under seeded mutations of real exports (cut short, wrong types, missing and
 * extra columns, NaN, huge numbers, repeated run ids, ...): each file either loads completely and
 * correctly (the rows write back to the same cells; the sweep writes back to itself, with every mutated
 * value as given) or is refused with a message, and a refused JSON file leaves the store's sweeps as
 * they were (never half-loaded).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, FIELDS } from '../config/schema';
import type { MetricPoint } from '../engine/protocol';
import { Rng } from '../rng';
import { createLabStore } from '../store/store';
import { summarizeRun } from './analysis';
import { csvToRows, jsonToSweep, parseCsv, rowsToCsv, sweepToJson } from './io';
import { syntheticSweep } from './synthetic';

const sweep = syntheticSweep({ ranks: [1, 4], lr: { from: -8, to: -2, step: 3 }, targets: [[1, 2], [2]], includeFft: true }, (g) =>
  g.axes.log2lr === -2 ? 'diverged' : g.axes.rank === 4 && g.axes.log2lr === -5 ? 'pending' : 0.1 + 0.01 * g.config.r,
);
const csv = rowsToCsv(sweep.runs.map(summarizeRun));
const json = sweepToJson(sweep);
const pick = <T,>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)];
const NUMERIC = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^(NaN|-?Infinity)$/;
const sameCell = (a: string, b: string) => a === b || (NUMERIC.test(a) && NUMERIC.test(b) && Object.is(Number(a), Number(b)));

function csvMutations(rng: Rng): [string, string][] {
  const rows = parseCsv(csv);
  const write = (rs: string[][]) => rs.map((r) => r.map((c) => (/[",\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n') + '\n';
  const out: [string, string][] = [];
  for (let k = 0; k < 40; k++) {
    const at = Math.floor(rng.uniform() * csv.length);
    out.push([`cut at ${at}`, csv.slice(0, at)]);
  }
  const values = ['', 'abc', 'NaN', 'Infinity', '1e400', '-1', '1.5', '0', 'true', 'false', '"', ',', '1e308', ' 1', '0x10', '1,2', '999999999999'];
  for (let k = 0; k < 120; k++) {
    const rs = rows.map((r) => [...r]);
    const row = 1 + Math.floor(rng.uniform() * (rs.length - 1));
    const col = Math.floor(rng.uniform() * rs[0].length);
    const v = pick(rng, values);
    rs[row][col] = v;
    out.push([`row ${row} ${rs[0][col]} = ${JSON.stringify(v)}`, write(rs)]);
  }
  for (let k = 0; k < 10; k++) {
    const rs = rows.map((r) => [...r]);
    const a = 1 + Math.floor(rng.uniform() * (rs.length - 1));
    const b = 1 + ((a + Math.floor(rng.uniform() * (rs.length - 2))) % (rs.length - 1));
    rs[b][0] = rs[a][0];
    out.push([`rows ${a} and ${b} share a run id`, write(rs)]);
  }
  for (let k = 0; k < 10; k++) {
    const col = Math.floor(rng.uniform() * rows[0].length);
    out.push([`column ${rows[0][col]} removed`, write(rows.map((r) => r.filter((_, i) => i !== col)))]);
    out.push([`extra column after ${rows[0][col]}`, write(rows.map((r, j) => [...r.slice(0, col + 1), j ? '1' : 'extra', ...r.slice(col + 1)]))]);
    const row = 1 + Math.floor(rng.uniform() * (rows.length - 1));
    out.push([`row ${row} has a cell too many`, write(rows.map((r, j) => (j === row ? [...r, 'x'] : r)))]);
  }
  out.push(['the header only', write(rows.slice(0, 1))], ['empty', ''], ['CRLF line ends', csv.replace(/\n/g, '\r\n')], ['a row twice', write([...rows, rows[1]])]);
  return out;
}

describe('sweep CSV import under mutations', () => {
  it('loads fully and correctly or refuses with a message', () => {
    const cases = csvMutations(Rng.stream(5, 'csv'));
    let loaded = 0;
    const bad: string[] = [];
    for (const [what, text] of cases) {
      let rows;
      try {
        rows = csvToRows(text);
      } catch (e) {
        if (!(e instanceof Error) || !/^(CSV|not a LoRA Lab sweep CSV)/.test(e.message)) bad.push(`${what}: refused without a proper message: ${String(e)}`);
        continue;
      }
      loaded++;
      const want = parseCsv(text);
      const got = parseCsv(rowsToCsv(rows));
      const same = want.length === got.length && want.every((r, i) => r.length === got[i].length && r.every((c, j) => sameCell(c, got[i][j])));
      if (!same) bad.push(`${what}: loaded, but the rows do not write back to the file's cells`);
    }
    console.log(`sweep CSV: ${cases.length} mutations, ${loaded} loaded exactly, ${cases.length - loaded} refused with a message, ${bad.length} half-loaded or silent`);
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(bad.slice(0, 20)).toEqual([]);
  });
});

type Doc = Record<string, unknown> & { runs: Record<string, unknown>[] };

function jsonMutations(rng: Rng): [string, string, ((rec: ReturnType<typeof jsonToSweep>) => boolean) | null][] {
  const out: [string, string, ((rec: ReturnType<typeof jsonToSweep>) => boolean) | null][] = [];
  const doc = (): Doc => JSON.parse(json);
  for (let k = 0; k < 30; k++) {
    const at = Math.floor(rng.uniform() * json.length);
    out.push([`cut at ${at}`, json.slice(0, at), null]);
  }
  const values: unknown[] = [null, 'x', -1, 1e308, [], {}, true, 1.5, 'NaN', 0];
  const keys = FIELDS.map((f) => f.key);
  for (let k = 0; k < 100; k++) {
    const d = doc();
    const i = Math.floor(rng.uniform() * d.runs.length);
    const key = pick(rng, keys);
    const v = rng.uniform() < 0.1 ? undefined : pick(rng, values);
    const config = d.runs[i].config as Record<string, unknown>;
    if (v === undefined) delete config[key];
    else config[key] = v;
    const check = (rec: ReturnType<typeof jsonToSweep>) => JSON.stringify(rec.runs[i].config[key]) === JSON.stringify(v === undefined ? DEFAULT_CONFIG[key] : v);
    out.push([`run ${i + 1} config.${key} = ${v === undefined ? '(missing)' : JSON.stringify(v)}`, JSON.stringify(d), v === undefined ? null : check]);
  }
  for (let k = 0; k < 40; k++) {
    const d = doc();
    const i = Math.floor(rng.uniform() * d.runs.length);
    const points = d.runs[i].points as unknown[][];
    if (!points.length) continue;
    const p = Math.floor(rng.uniform() * points.length);
    const j = Math.floor(rng.uniform() * 7);
    const v = pick(rng, ['abc', null, true, 1e308, 'Infinity', [], 2.5]);
    points[p][j] = v;
    // loaded only with the value as written (evalLoss may be null: no eval at that point)
    const item = ['step', 'loss', 'evalLoss', 'gradNorm', 'lr', 'stepsPerSec', 'divergedStep'][j] as keyof MetricPoint;
    const check = (rec: ReturnType<typeof jsonToSweep>) => {
      const got = rec.runs[i].points[p][item];
      return j === 2 && v === null ? got === undefined : typeof v === 'number' ? got === v : v === 'Infinity' && got === Infinity;
    };
    out.push([`run ${i + 1} point ${p + 1} item ${j} = ${JSON.stringify(v)}`, JSON.stringify(d), check]);
  }
  const edits: [string, (d: Doc) => void][] = [
    ['run ids repeated', (d) => void (d.runs[1].runId = d.runs[0].runId)],
    ['a run id a number', (d) => void (d.runs[0].runId = 7)],
    ['a point too short', (d) => void (d.runs[0].points as unknown[][])[0].pop()],
    ['status.state bogus', (d) => void ((d.runs[0].status as Record<string, unknown>).state = 'bogus')],
    ['status.step a string', (d) => void ((d.runs[0].status as Record<string, unknown>).step = 'x')],
    ['status.finalLoss null', (d) => void ((d.runs[0].status as Record<string, unknown>).finalLoss = null)],
    ['axes missing', (d) => void delete d.runs[0].axes],
    ['base.r a string', (d) => void ((d.base as Record<string, unknown>).r = '4')],
    ['definition garbage', (d) => void (d.definition = '%%%')],
    ['version 2', (d) => void (d.version = 2)],
    ['no format', (d) => void delete d.format],
    ['no runs', (d) => void (d.runs = [])],
    ['runs not a list', (d) => void (d.runs = {} as never)],
    ['an extra top-level key', (d) => void (d.extra = 1)],
    ['an extra key in a run', (d) => void (d.runs[0].extra = 1)],
    ['an unknown config field', (d) => void ((d.runs[0].config as Record<string, unknown>).bogus = 1)],
    ['a run that is null', (d) => void (d.runs[0] = null as never)],
  ];
  for (const [what, edit] of edits) {
    const d = doc();
    edit(d);
    out.push([what, JSON.stringify(d), null]);
  }
  out.push(['not JSON', 'nope', null], ['a list', '[]', null], ['null', 'null', null]);
  return out;
}

describe('sweep JSON import under mutations, through the store', () => {
  it('adds the whole sweep, correct, or refuses with a notice and leaves the store as it was', () => {
    const cases = jsonMutations(Rng.stream(6, 'json'));
    const store = createLabStore();
    const lab = () => store.getState();
    expect(lab().importSweepJson('original.json', json)).toBe(true);
    let loaded = 0;
    const bad: string[] = [];
    for (const [what, text, check] of cases) {
      const before = lab().sweeps;
      store.setState({ notices: [] }); // the store shows a notice once while it is up: each case starts with none
      const notices = 0;
      const ok = lab().importSweepJson('m.json', text);
      if (!ok) {
        if (lab().sweeps !== before) bad.push(`${what}: refused, but the store's sweeps changed`);
        const msg = lab().notices.slice(notices).join(' ');
        if (!/^Sweep import rejected: m\.json: \S/.test(msg)) bad.push(`${what}: refused without a message (${msg})`);
        continue;
      }
      loaded++;
      const added = lab().sweeps.at(-1)!;
      if (lab().sweeps.length !== before.length + 1) bad.push(`${what}: loaded, but ${lab().sweeps.length - before.length} sweeps were added`);
      const doc = JSON.parse(text) as Doc;
      if (added.runs.length !== doc.runs.length) bad.push(`${what}: loaded ${added.runs.length} of ${doc.runs.length} runs`);
      if (added.runs.some((r, i) => r.points.length !== (doc.runs[i].points as unknown[]).length)) bad.push(`${what}: loaded, but points are missing`);
      expect(jsonToSweep(sweepToJson(added)), what).toEqual(added);
      if (check && !check(added)) bad.push(`${what}: loaded, but the value is not the one in the file`);
      store.setState({ sweeps: before }); // next case against the same store
    }
    console.log(`sweep JSON: ${cases.length} mutations, ${loaded} loaded completely, ${cases.length - loaded} refused with a notice and the store unchanged, ${bad.length} half-loaded or silent`);
    expect(cases.length).toBeGreaterThanOrEqual(180);
    expect(bad.slice(0, 20)).toEqual([]);
  });
});
