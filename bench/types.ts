/** The bench page's vocabulary: a measurement is a named async function that returns table rows. */

export interface BenchContext {
  /** Our engine's device (src/gpu/device.ts); peers such as TensorFlow.js make their own. */
  device: GPUDevice;
  /** Smoke-test mode: fewer, shorter repetitions and the biggest shapes skipped. */
  quick: boolean;
  /** Progress line, forwarded to the terminal by scripts/bench.mjs. */
  log(msg: string): void;
  /** Record a failed check or error; the run goes on, and scripts/bench.mjs exits non-zero. */
  fail(err: unknown): void;
}

/**
 * One line of the results table. Throughputs, higher is better: `ours`/`peer` from the median repetition,
 * `oursBest`/`peerBest` from the fastest one. ratio = ours / peer. null where nothing was measured.
 */
export interface Row {
  name: string;
  shape: string;
  ours: number | null;
  oursBest: number | null;
  peer: number | null;
  peerBest: number | null;
  ratio: number | null;
  unit: string;
  /** Which implementation the peer column is, and anything else a reader needs. */
  note?: string;
}

export interface Measurement {
  /** Short id, used by `npm run bench -- --only NAME`. */
  name: string;
  run(ctx: BenchContext): Promise<Row[]>;
}

/** A correctness check failed: the run goes on, but the script exits non-zero. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}

/** What the page exposes on window.__bench for scripts/bench.mjs. */
export interface BenchState {
  status: 'running' | 'done';
  adapter: string;
  rows: Row[];
  /** Failed correctness checks and errors; non-empty means the bench fails. */
  failures: string[];
}
