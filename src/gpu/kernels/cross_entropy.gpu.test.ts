import { describe, expect, it } from 'vitest';
import { crossEntropyLoss } from './cross_entropy';
import * as ref from '../../ref/cross_entropy';
import { createStorageBuffer, readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { assertClose } from '../../test/compare';
import { goldenLosses } from '../../test/golden';
import { Rng } from '../../rng';

async function setup(logits: Float32Array, labels: Uint32Array, rows: number, classes: number, gradScale?: number) {
  const device = await testDevice();
  const bl = createStorageBuffer(device, 'labels', rows * 4);
  device.queue.writeBuffer(bl, 0, labels);
  const grad = createStorageBuffer(device, 'grad', rows * classes * 4);
  const out = createStorageBuffer(device, 'out', 8);
  const k = await withErrorScope(device, () =>
    crossEntropyLoss(device, { rows, classes, logits: uploadF32(device, 'logits', logits), labels: bl, grad, out, gradScale }),
  );
  const run = async () => {
    await withErrorScope(device, () => runDispatches(device, k.dispatches));
    const o = await readF32(device, out, 2);
    return { loss: o[0], accuracy: o[1], grad: await readF32(device, grad, rows * classes) };
  };
  return { k, run };
}

function check(got: { loss: number; accuracy: number; grad: Float32Array }, want: ReturnType<typeof ref.crossEntropyLoss>, rows: number, label: string) {
  // loss_r is O(1) to O(200) and each is accurate to a few f32 ulps of its size: relative tolerance.
  assertClose([got.loss], [want.loss], { atol: 1e-6, rtol: 1e-5 }, `${label} loss`);
  assertClose([got.accuracy], [want.accuracy], { atol: 1e-6, rtol: 0 }, `${label} accuracy`);
  // grad entries are (p - onehot) / rows with |.| <= 1 / rows: atol scales with 1 / rows.
  assertClose(got.grad, want.grad, { atol: 1e-6 / rows, rtol: 1e-4 }, `${label} grad`);
}

function randomCase(rows: number, classes: number, std: number, seed: number) {
  const rng = new Rng(seed);
  const logits = rng.normals(rows * classes, std);
  const labels = Uint32Array.from({ length: rows }, () => Math.floor(rng.uniform() * classes));
  // Make about half of the rows correct, so accuracy is not trivially 0 or 1/classes.
  for (let r = 0; r < rows; r += 2) logits[r * classes + labels[r]] += 3 * std;
  return { logits, labels };
}

describe('cross_entropy kernel on WebGPU', () => {
  // every awkward size appears as rows and as classes; (1000, 10) and (1024, 256) are the real shapes
  const shapes: [number, number][] = [
    [1, 129], [3, 65], [17, 64], [63, 63], [64, 17], [65, 3], [129, 1], [1, 1], [1000, 10], [1024, 256],
  ];
  it.each(shapes)('matches the reference at rows=%i, classes=%i', async (rows, classes) => {
    const { logits, labels } = randomCase(rows, classes, 2, rows * 1000 + classes);
    const got = await (await setup(logits, labels, rows, classes, 0.5)).run();
    check(got, ref.crossEntropyLoss(logits, labels, rows, classes, 0.5), rows, `${rows}x${classes}`);
  });

  it('passes the PyTorch golden case (logits up to +-100)', async () => {
    const g = goldenLosses.cross_entropy;
    const [rows, classes] = g.shape;
    const got = await (await setup(Float32Array.from(g.logits), Uint32Array.from(g.labels), rows, classes)).run();
    assertClose([got.loss], [g.loss], { atol: 1e-6, rtol: 1e-5 }, 'golden loss');
    assertClose(got.grad, g.grad, { atol: 1e-6, rtol: 1e-5 }, 'golden grad');
    expect(got.accuracy).toBeCloseTo(ref.crossEntropyLoss(g.logits, g.labels, rows, classes).accuracy, 6);
  });

  it('stays finite and accurate with logits of magnitude 100', async () => {
    const rows = 65;
    const classes = 17;
    const { logits, labels } = randomCase(rows, classes, 60, 11);
    for (let i = 0; i < logits.length; i++) logits[i] = Math.max(-100, Math.min(100, logits[i]));
    const got = await (await setup(logits, labels, rows, classes)).run();
    expect(Number.isFinite(got.loss) && got.grad.every(Number.isFinite)).toBe(true);
    check(got, ref.crossEntropyLoss(logits, labels, rows, classes), rows, 'large logits');
  });

  it('keeps precision when the label is the max at logits ~ 100 (no cancellation against the max)', async () => {
    // loss = log1p(exp(-d)). Computed as (m + log s) - z_y it would carry an error of ~ulp(100) / 2 ~ 1e-6 to
    // 4e-6 for these margins; log(s) - (z_y - m) is within ~3e-8.
    for (const d of [2.2, 3, 7.3, 9]) {
      const z = Float32Array.of(100, 100 - d);
      const got = await (await setup(z, Uint32Array.of(0), 1, 2)).run();
      const want = Math.log1p(Math.exp(z[1] - z[0]));
      expect(Math.abs(got.loss - want), `margin ${d}: ${got.loss} vs ${want}`).toBeLessThan(2e-7);
    }
  });

  it('setGradScale changes only the gradient of the next submit', async () => {
    const { logits, labels } = randomCase(17, 10, 1, 4);
    const { k, run } = await setup(logits, labels, 17, 10);
    for (const gs of [1, 0.25, 3]) {
      k.setGradScale(gs);
      check(await run(), ref.crossEntropyLoss(logits, labels, 17, 10, gs), 17, `gradScale ${gs}`);
    }
  });

  it('folds the row grid into y beyond 65535 rows', async () => {
    const rows = 65535 + 129;
    const classes = 2;
    const { logits, labels } = randomCase(rows, classes, 1, 9);
    check(await (await setup(logits, labels, rows, classes)).run(), ref.crossEntropyLoss(logits, labels, rows, classes), rows, 'folded');
  });
});
