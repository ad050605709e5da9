/**
 * Text for the language-model task, as bytes (token id = byte value): the check of a user's own text,
 * the held-out split, and seeded training windows. Pure; the page reads files and the shipped corpora,
 * this module decides what they become.
 */
import { Rng } from '../rng';

/** The largest text a user may paste or drop (bytes): it is held in memory and uploaded whole. */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;
/** The last HELD_OUT of every text is never trained on (scripts/pretrain_base.py uses the same split). */
export const HELD_OUT = 0.05;

export class TextRejected extends Error {}

/**
 * The user's text as bytes, or a TextRejected saying why not: empty, too short for one training window
 * of `context` tokens in both splits, over MAX_TEXT_BYTES, not valid UTF-8, or binary (NUL bytes or
 * mostly control characters).
 */
export function checkText(bytes: Uint8Array, context: number, name = 'the text'): Uint8Array {
  if (bytes.length === 0) throw new TextRejected(`${name} is empty`);
  if (bytes.length > MAX_TEXT_BYTES) throw new TextRejected(`${name} is ${bytes.length.toLocaleString('en')} bytes; the limit is ${MAX_TEXT_BYTES.toLocaleString('en')} bytes`);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TextRejected(`${name} is not valid UTF-8 text`);
  }
  let control = 0;
  for (const b of bytes) {
    if (b === 0) throw new TextRejected(`${name} looks binary (it contains NUL bytes)`);
    if (b < 32 && b !== 9 && b !== 10 && b !== 13) control++;
  }
  if (control > bytes.length * 0.05) throw new TextRejected(`${name} looks binary (${control} control characters)`);
  const need = minBytes(context);
  if (bytes.length < need) throw new TextRejected(`${name} is ${bytes.length} bytes; at least ${need} are needed (one window of ${context + 1} bytes in the held-out ${HELD_OUT * 100}% too)`);
  return bytes;
}

/** The shortest text whose held-out split still holds one window of context + 1 bytes. */
export function minBytes(context: number): number {
  return Math.ceil((context + 1) / HELD_OUT) + 1;
}

/** Train and held-out parts: the held-out part is the last HELD_OUT of the bytes. */
export function splitText(bytes: Uint8Array): { train: Uint8Array; heldOut: Uint8Array } {
  const cut = Math.floor(bytes.length * (1 - HELD_OUT));
  return { train: bytes.subarray(0, cut), heldOut: bytes.subarray(cut) };
}

/**
 * `batch` windows of context + 1 bytes at seeded random starts: inputs are the first `context` bytes
 * of each, targets the next byte at every position. Row-major (batch, context), u32 token ids.
 */
export function sampleWindows(text: Uint8Array, context: number, batch: number, rng: Rng): { inputs: Uint32Array; targets: Uint32Array } {
  const span = text.length - context - 1;
  if (span < 0) throw new Error(`text of ${text.length} bytes is shorter than a window of ${context + 1}`);
  const inputs = new Uint32Array(batch * context);
  const targets = new Uint32Array(batch * context);
  for (let b = 0; b < batch; b++) {
    const s = Math.min(span, Math.floor(rng.uniform() * (span + 1)));
    for (let t = 0; t < context; t++) {
      inputs[b * context + t] = text[s + t];
      targets[b * context + t] = text[s + t + 1];
    }
  }
  return { inputs, targets };
}

/** Evenly spaced windows over the text (deterministic): the eval set. */
export function evalWindows(text: Uint8Array, context: number, count: number): { inputs: Uint32Array; targets: Uint32Array } {
  const span = text.length - context - 1;
  if (span < 0) throw new Error(`text of ${text.length} bytes is shorter than a window of ${context + 1}`);
  const inputs = new Uint32Array(count * context);
  const targets = new Uint32Array(count * context);
  for (let b = 0; b < count; b++) {
    const s = count === 1 ? 0 : Math.round((b * span) / (count - 1));
    for (let t = 0; t < context; t++) {
      inputs[b * context + t] = text[s + t];
      targets[b * context + t] = text[s + t + 1];
    }
  }
  return { inputs, targets };
}
