// `lab sweep`: reserved. The engine is gaining batched sweeps (protocol 'sweep' message, issue 4), but
// the page has no automation entry point for them yet (window.loraLab.sweep). When it does, this
// command reads a sweep file (a base config in the page's schema plus the sweep definition), drives
// loraLab.sweep in the browser as train.mjs drives loraLab.train, and writes DIR/results.json,
// DIR/results.csv (one row per run) and DIR/sweep.png (the muA chart).
import { LabError } from './cli.mjs';

export async function sweepCommand() {
  throw new LabError('lab sweep: not available yet (sweeps are still being built into the page); use `lab train` for single runs', 2);
}
