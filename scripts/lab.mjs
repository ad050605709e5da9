#!/usr/bin/env node
// LoRA Lab on the command line (`npm run lab -- <command> ...`): serves the built page on a free
// localhost port, drives it in headless Chromium (the same browser discovery as the tests) and writes
// results to files. Commands: train (one run), sweep (a batched sweep). `npm run lab -- --help` for everything.
import { helpText, LabError, loadSchema } from './lab/cli.mjs';
import { trainCommand } from './lab/train.mjs';
import { sweepCommand } from './lab/sweep.mjs';

const COMMANDS = { train: trainCommand, sweep: sweepCommand };

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help' || rest.includes('--help') || rest.includes('-h')) {
    const text = helpText(await loadSchema());
    if (command === undefined) {
      process.stderr.write(text);
      return 2;
    }
    process.stdout.write(text);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) throw new LabError(`lab: unknown command ${JSON.stringify(command)}; the commands are ${Object.keys(COMMANDS).join(', ')} (see lab --help)`, 2);
  await run(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e instanceof LabError ? e.message : e.stack ?? e}\n`);
    process.exit(e instanceof LabError ? e.code : 1);
  },
);
