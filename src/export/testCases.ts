/**
 * test_cases.json ("lora-interop-cases/1"): inputs from a seeded stream and the outputs the page's own
 * GPU forward pass computed for them, without the adapter (base) and with it (adapted), so that any
 * other implementation (PEFT in PyTorch, load_with_peft.py) can be checked against the page.
 */
import type { RunConfig } from '../config/schema';
import { Rng } from '../rng';
import { mlpSizes } from './peftFormat';

export const CASES_FORMAT = 'lora-interop-cases/1';
/** Rows of test inputs in an export (the format asks for at least 16). */
export const CASE_ROWS = 32;
/** Agreement an independent float32 implementation should reach (the interop test requires it). */
export const CASE_TOLERANCE = Object.freeze({ atol: 1e-4, rtol: 1e-3 });

/** The test inputs (rows, dIn) ~ N(0, 1): their own stream, independent of the training data. */
export function caseInputs(cfg: Pick<RunConfig, 'seed' | 'dIn'>, rows = CASE_ROWS): Float32Array {
  return Rng.stream(cfg.seed, 'export/cases').normals(rows * cfg.dIn);
}

export interface CaseOutputs {
  inputs: Float32Array; // (rows, dIn)
  rows: number;
  base: Float32Array; // (rows, dOut)
  adapted: Float32Array; // (rows, dOut)
}

function matrix(name: string, data: Float32Array, rows: number, cols: number): number[][] {
  if (data.length !== rows * cols) throw new Error(`test cases: ${name} has ${data.length} values, expected ${rows} x ${cols}`);
  const bad = data.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new Error(`test cases: ${name}[${Math.floor(bad / cols)}][${bad % cols}] is ${data[bad]}; the run's weights are not usable (did it diverge?)`);
  return Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols)));
}

/** The file's text: one matrix row per line so that it stays readable. */
export function testCasesJson(cfg: RunConfig, c: CaseOutputs): string {
  if (c.rows < 16) throw new Error(`test cases: ${c.rows} rows; the format asks for at least 16`);
  const doc = {
    format: CASES_FORMAT,
    model: { arch: 'mlp', sizes: mlpSizes(cfg), activation: cfg.activation, bias: false },
    inputs: matrix('inputs', c.inputs, c.rows, cfg.dIn),
    base_outputs: matrix('base_outputs', c.base, c.rows, cfg.dOut),
    adapted_outputs: matrix('adapted_outputs', c.adapted, c.rows, cfg.dOut),
    tolerance: { ...CASE_TOLERANCE },
  };
  const lines = Object.entries(doc).map(([k, v]) => {
    const text = Array.isArray(v) ? `[\n${v.map((row) => `    ${JSON.stringify(row)}`).join(',\n')}\n  ]` : JSON.stringify(v);
    return `  ${JSON.stringify(k)}: ${text}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}
