// Command-line plumbing for scripts/lab.mjs: argument parsing, the config schema (the page's own
// src/config/schema.ts, loaded through Vite's module runner so there is one config type), the help
// text generated from its field table, and errors that carry an exit code.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** An error that ends the command with this exit code (2: usage or config, 1: the run failed). */
export class LabError extends Error {
  constructor(message, code = 1) {
    super(message);
    this.code = code;
  }
}

export const log = (msg) => process.stderr.write(`[lab] ${msg}\n`);

/** The page's config module (FIELDS, validateConfig, DEFAULT_CONFIG, formatRange, fieldBounds). */
export async function loadSchema() {
  const { module } = await runnerImport(`${ROOT}src/config/schema.ts`, { root: ROOT, configFile: false, logLevel: 'silent' });
  return module;
}

export const OPTIONS = {
  train: [
    ['--config FILE', 'JSON object of settings (the page\'s fields, below); every field is optional. Default: all defaults'],
    ['--out DIR', 'where to write metrics.json and bundle/ (created if missing; required)'],
    ['--dist DIR', 'the built page to serve (default: $LAB_DIST or dist/); built with vite when missing or older than the sources'],
    ['--timeout SECONDS', 'give up after this long (default 3600)'],
    ['--headed', 'show the browser window (debugging)'],
    ['--help', 'this text'],
  ],
  sweep: [
    ['--config FILE', 'JSON object: the page\'s settings (below; every field optional) plus "sweep": {the sweep\'s axes}'],
    ['--out DIR', 'where to write results.json, results.csv and sweep.png (created if missing; required)'],
    ['--dist DIR', 'the built page to serve (as for train)'],
    ['--timeout SECONDS', 'give up after this long (default 3600)'],
    ['--headed', 'show the browser window (debugging)'],
    ['--help', 'this text'],
  ],
};

/** Parse `--name value` / `--flag` options; unknown options are usage errors (exit code 2). */
export function parseOptions(command, argv) {
  const known = new Map(OPTIONS[command].map(([spec]) => [spec.split(' ')[0], spec.includes(' ')]));
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (!known.has(name)) throw new LabError(`lab ${command}: unknown option ${JSON.stringify(a)} (see lab ${command} --help)`, 2);
    const key = name.slice(2);
    if (!known.get(name)) opts[key] = true;
    else if (inline !== undefined) opts[key] = inline;
    else if (i + 1 < argv.length) opts[key] = argv[++i];
    else throw new LabError(`lab ${command}: ${name} needs a value`, 2);
  }
  return opts;
}

/** Read a JSON file (usage errors name the file, exit code 2). */
export function readJsonFile(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LabError(`${file}: cannot read it (${e.code ?? e.message})`, 2);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new LabError(`${file}: not valid JSON (${e.message})`, 2);
  }
}

/** Strictly validate page settings: every problem names the file and the field (exit code 2). */
export function validateOrExit(schema, raw, file) {
  const { config, errors } = schema.validateConfig(raw);
  if (errors.length) throw new LabError(errors.map((e) => `${file}: ${e}`).join('\n'), 2);
  return config;
}

/** Read and strictly validate a config file: every problem names the file and the field (exit code 2). */
export function readConfig(schema, file) {
  if (!file) return schema.validateConfig({}).config;
  return validateOrExit(schema, readJsonFile(file), file);
}

function fieldLine(schema, f) {
  const d = schema.DEFAULT_CONFIG[f.key];
  const def = Array.isArray(d) ? `[${d.join(', ')}] (all layers)` : JSON.stringify(d);
  let allowed;
  if (f.type === 'enum') allowed = f.options.map((o) => JSON.stringify(o)).join(' | ');
  else if (f.type === 'bool') allowed = 'true | false';
  else {
    const range = schema.formatRange(f, schema.fieldBounds(f.key, schema.DEFAULT_CONFIG));
    allowed = f.type === 'intList' ? `list of integers in 1..layers` : `${f.type === 'int' ? 'integer' : 'number'} in ${range}`;
    if (f.key === 'r' || f.key === 'trueRank') allowed += ' (at most width)';
  }
  return `  ${f.key.padEnd(14)} ${allowed}; default ${def}\n  ${''.padEnd(14)} ${f.help}`;
}

export function helpText(schema) {
  const opts = (cmd) => OPTIONS[cmd].map(([spec, what]) => `  ${spec.padEnd(20)} ${what}`).join('\n');
  const groups = [...new Set(schema.FIELDS.map((f) => f.group))];
  const fields = groups.map((g) => `${g}:\n${schema.FIELDS.filter((f) => f.group === g).map((f) => fieldLine(schema, f)).join('\n')}`).join('\n\n');
  return `LoRA Lab on the command line: the page's engine in headless Chromium (WebGPU), results written to files.

Usage:
  npm run lab -- train --config run.json --out DIR
  npm run lab -- sweep --config sweep.json --out DIR
  npm run lab -- --help

lab train: trains one run and writes
  DIR/metrics.json   the resolved config, loss and eval loss at every logged step, steps per second,
                     final loss and how the run ended (non-finite numbers are written as null)
  DIR/bundle/        the export, unzipped: adapter/ (PEFT), base_model.safetensors, test_cases.json,
                     load_with_peft.py, README.md (a full fine-tuning run: finetuned_model.safetensors)
${opts('train')}

lab sweep: trains a sweep (runs that share the base model train together, batched, as in the page) and writes
  DIR/results.json   the sweep as the page exports it (every run's config, status and logged points)
  DIR/results.csv    one row per run: every config field, final and best loss, eval loss, diverged step,
                     steps per second
  DIR/sweep.png      the muA chart: final loss against log2(learning rate), one curve per rank
${opts('sweep')}
  The "sweep" object's fields (each optional; defaults in brackets):
    ranks [1,2,4,8,16,32,64]   lr {"from": -10, "to": -1, "step": 0.5} (log2)
    alpha {"kind": "alphaEff" | "loraAlpha", "values": [...]} [null: from the settings]
    inits, scalings, targets (list of layer lists), seeds, optimizers, loraPlusRatios [[]: not swept]
    includeFft [false]: add full fine-tuning over the same learning rates
  Example: {"width": 64, "steps": 100, "sweep": {"ranks": [1, 4], "lr": {"from": -8, "to": -4, "step": 1}}}

Progress goes to stderr, results to files. Exit codes: 0 success; 1 the run failed (no WebGPU, a
diverged run whose weights cannot be exported, a timeout); 2 a usage or config error (an unknown field
or an invalid value, named in the message).

Config fields (the same as the page's settings and URL; JSON values, e.g. {"r": 4, "targets": [1, 2]}):

${fields}
`;
}
