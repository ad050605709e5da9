import { describe, expect, it } from 'vitest';
import { embeddingBackward, embeddingForward } from './embedding';
import * as ref from '../../ref/embedding';
import { createStorageBuffer, readF32, uploadF32 } from '../buffers';
import { runDispatches } from '../dispatch';
import { testDevice, withErrorScope } from '../../test/gpu';
import { Rng } from '../../rng';

describe('embedding lookup on WebGPU', () => {
  it.each([
    [1, 1, 1],
    [7, 3, 256],
    [300, 17, 256],
  ])('rows %i, dim %i, vocab %i: equals the reference exactly; an id past the vocabulary reads row 0', async (rows, dim, vocab) => {
    const device = await testDevice();
    const rng = new Rng(rows + dim);
    const E = Float32Array.from(rng.normals(vocab * dim));
    const tokens = Uint32Array.from({ length: rows }, () => Math.floor(rng.uniform() * vocab) % vocab);
    const bad = rows > 1 ? 1 : -1;
    if (bad >= 0) tokens[bad] = vocab + 5;
    const bt = createStorageBuffer(device, 'tokens', rows * 4);
    device.queue.writeBuffer(bt, 0, tokens);
    const out = uploadF32(device, 'out', new Float32Array(rows * dim));
    await withErrorScope(device, () => runDispatches(device, [embeddingForward(device, rows, dim, vocab, bt, uploadF32(device, 'E', E), out)]));
    const want = ref.embeddingForward(E, dim, Array.from(tokens, (t) => (t >= vocab ? 0 : t)));
    expect([...(await readF32(device, out, rows * dim))]).toEqual([...Float32Array.from(want)]);
  });
});

describe('embedding gradient on WebGPU', () => {
  it.each([
    [1, 1, 1],
    [9, 5, 7],
    [300, 17, 256],
  ])('rows %i, dim %i, vocab %i: equals the reference (sums in row order), rows no token uses are 0, the same bits every run', async (rows, dim, vocab) => {
    const device = await testDevice();
    const rng = new Rng(3 * rows + dim);
    const dOut = Float32Array.from(rng.normals(rows * dim));
    // repeated ids (sums), and ids past the vocabulary (they count as 0, as the lookup reads them)
    const tokens = Uint32Array.from({ length: rows }, (_, i) => (i % 4 === 3 ? vocab + 2 : Math.floor(rng.uniform() * Math.min(vocab, 5))));
    const bt = createStorageBuffer(device, 'tokens', rows * 4);
    device.queue.writeBuffer(bt, 0, tokens);
    const run = async () => {
      const dE = uploadF32(device, 'dE', new Float32Array(vocab * dim).fill(7)); // overwritten, not added to
      await withErrorScope(device, () => runDispatches(device, [embeddingBackward(device, rows, dim, vocab, bt, uploadF32(device, 'dOut', dOut), dE)]));
      return readF32(device, dE, vocab * dim);
    };
    const got = await run();
    const want = ref.embeddingBackward(dOut, dim, Array.from(tokens, (t) => (t >= vocab ? 0 : t)), vocab);
    got.forEach((x, i) => expect(Math.abs(x - want[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i]))));
    expect([...(await run())]).toEqual([...got]);
  });
});
