/** A run's logged metrics as CSV: one row per logged step, empty cells where a value was not logged. */
import type { MetricPoint } from '../engine/protocol';

const COLUMNS: [string, (p: MetricPoint) => number | undefined][] = [
  ['step', (p) => p.step],
  ['loss', (p) => p.loss],
  ['eval_loss', (p) => p.evalLoss],
  ['accuracy', (p) => p.accuracy],
  ['eval_accuracy', (p) => p.evalAccuracy],
  ['grad_norm', (p) => p.gradNorm],
  ['lr', (p) => p.lr],
  ['steps_per_sec', (p) => p.stepsPerSec],
];

export function metricsCsv(points: readonly MetricPoint[]): string {
  // NaN / Infinity are written as such (a diverged step), which pandas and spreadsheets read back.
  const cell = (x: number | undefined) => (x === undefined ? '' : String(x));
  const rows = points.map((p) => COLUMNS.map(([, get]) => cell(get(p))).join(','));
  return [COLUMNS.map(([name]) => name).join(','), ...rows].join('\n') + '\n';
}
