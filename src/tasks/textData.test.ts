import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { checkText, evalWindows, HELD_OUT, MAX_TEXT_BYTES, minBytes, sampleWindows, splitText, TextRejected } from './textData';

const enc = (s: string) => new TextEncoder().encode(s);
const prose = (n: number) => enc('To be, or not to be, that is the question.\n'.repeat(Math.ceil(n / 43)).slice(0, n));

describe('user text', () => {
  it.each<[string, Uint8Array, RegExp]>([
    ['empty', new Uint8Array(0), /is empty/],
    ['too short', prose(100), /at least \d+ are needed/],
    ['invalid UTF-8', Uint8Array.from([...prose(4000), 0xff, 0xfe]), /not valid UTF-8/],
    ['NUL bytes', Uint8Array.from([...prose(4000), 0, 65]), /binary/],
    ['control characters', Uint8Array.from({ length: 4000 }, (_, i) => (i % 3 ? 65 : 1)), /binary/],
  ])('%s is refused with the reason', (_, bytes, msg) => {
    expect(() => checkText(bytes, 64, 'notes.txt')).toThrow(TextRejected);
    expect(() => checkText(bytes, 64, 'notes.txt')).toThrow(msg);
  });

  it('over the size cap is refused before any other check', () => {
    const big = new Uint8Array(MAX_TEXT_BYTES + 1).fill(65);
    expect(() => checkText(big, 64)).toThrow(/limit is 16,777,216 bytes/);
  });

  it('text of the minimum length is accepted, and unicode text too', () => {
    expect(checkText(prose(minBytes(64)), 64).length).toBe(minBytes(64));
    expect(() => checkText(enc('Ça va, ß, 日本語, ελληνικά. '.repeat(200)), 64)).not.toThrow();
  });
});

describe('splits and windows', () => {
  it('the held-out split is the last 5%, and holds a whole window at the minimum length', () => {
    const t = prose(minBytes(64));
    const { train, heldOut } = splitText(t);
    expect(train.length + heldOut.length).toBe(t.length);
    expect(heldOut.length).toBeGreaterThanOrEqual(65);
    expect(heldOut.length / t.length).toBeCloseTo(HELD_OUT, 2);
  });

  it('windows: targets are the inputs shifted by one byte; the seed fixes them', () => {
    const t = enc('abcdefghijklmnopqrstuvwxyz'.repeat(4));
    const a = sampleWindows(t, 8, 5, new Rng(3));
    const b = sampleWindows(t, 8, 5, new Rng(3));
    expect([...a.inputs]).toEqual([...b.inputs]);
    for (let r = 0; r < 5; r++) for (let i = 0; i < 8; i++) expect(a.targets[r * 8 + i]).toBe((a.inputs[r * 8 + i] - 97 + 1) % 26 + 97);
    expect([...sampleWindows(t, 8, 5, new Rng(4)).inputs]).not.toEqual([...a.inputs]);
  });

  it('eval windows cover the text from its first to its last window', () => {
    const t = enc('0123456789');
    const e = evalWindows(t, 4, 3);
    expect([...e.inputs]).toEqual([...enc('0123'), ...enc('3456'), ...enc('5678')]);
    expect([...e.targets.subarray(8)]).toEqual([...enc('6789')]);
  });
});
