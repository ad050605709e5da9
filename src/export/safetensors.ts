/**
 * safetensors, as the reference implementation (huggingface/safetensors) writes and checks it:
 *   bytes [0, 8)      u64 little-endian N, the header length
 *   bytes [8, 8+N)    UTF-8 JSON object, compact, padded with spaces (0x20) to a multiple of 8:
 *                     {"__metadata__": {str: str}, "<name>": {"dtype", "shape", "data_offsets": [begin, end]}}
 *   bytes [8+N, end)  the data buffer; offsets are relative to it, end exclusive, little-endian values
 * The writer makes exactly the reference writer's bytes (tested byte for byte against a file it wrote).
 * The reader is strict: every rule of LORA_FACTS.md, and every value finite. Errors name the file.
 */

/** Bits per element of every dtype the reference library knows (safetensors 0.8). */
export const DTYPE_BITS: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, F64: 64, I64: 64, U64: 64, C64: 64,
});

/** The reference reader refuses headers above this many bytes (a guard against huge allocations). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface WriteTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array; // row-major, written as F32
}

export interface ReadTensor {
  dtype: string;
  shape: number[];
  /** Values converted to f32 for the float dtypes F64, F32, F16, BF16; null for other dtypes. */
  data: Float32Array | null;
}

export interface SafetensorsFile {
  metadata: Record<string, string> | null;
  /** In data-buffer order. */
  tensors: Map<string, ReadTensor>;
}

export class SafetensorsError extends Error {}

const utf8 = new TextEncoder();

/** Byte-wise comparison of UTF-8 names: the order of Rust's String::cmp, which the reference sorts with. */
function byteOrder(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/**
 * Serialise F32 tensors with optional string metadata. The reference sorts tensors by dtype
 * (descending) then name; with one dtype that is name order. Metadata keys are sorted (the reference
 * keeps them in a hash map, so its order is arbitrary; sorting makes our files reproducible).
 */
export function writeSafetensors(tensors: readonly WriteTensor[], metadata?: Record<string, string>): Uint8Array {
  const sorted = [...tensors].sort((a, b) => byteOrder(a.name, b.name));
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = Object.fromEntries(Object.keys(metadata).sort(byteOrder).map((k) => [k, metadata[k]]));
  let offset = 0;
  for (const t of sorted) {
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name)) throw new Error(`safetensors: duplicate or reserved tensor name "${t.name}"`);
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (count !== t.data.length) throw new Error(`safetensors: tensor ${t.name} has shape [${t.shape}] but ${t.data.length} values`);
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  const json = utf8.encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const t of sorted) {
    for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + 4 * i, t.data[i], true);
    pos += 4 * t.data.length;
  }
  return out;
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** f16 / bf16 bit patterns to numbers. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decode(dtype: string, bytes: Uint8Array, count: number): Float32Array | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32': for (let i = 0; i < count; i++) out[i] = v.getFloat32(4 * i, true); return out;
    case 'F64': for (let i = 0; i < count; i++) out[i] = v.getFloat64(8 * i, true); return out;
    case 'F16': for (let i = 0; i < count; i++) out[i] = halfToNumber(v.getUint16(2 * i, true)); return out;
    case 'BF16': {
      const f = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        f.setUint32(0, v.getUint16(2 * i, true) << 16);
        out[i] = f.getFloat32(0);
      }
      return out;
    }
    default: return null;
  }
}

/**
 * Parse and check a safetensors file. Throws SafetensorsError("<file>: <problem>") on the first
 * violation: short file, header length beyond the file or over 100,000,000, header not a JSON object
 * (or padded with anything but spaces), non-string metadata, unknown dtype, malformed shape or offsets,
 * a size that disagrees with the shape, gaps, overlaps, bytes not covered, non-finite float values.
 */
export function readSafetensors(bytes: Uint8Array, file = 'file'): SafetensorsFile {
  const fail = (problem: string): never => {
    throw new SafetensorsError(`${file}: ${problem}`);
  };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes; a safetensors file starts with an 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n64} is over the ${MAX_HEADER_BYTES.toLocaleString('en')}-byte limit`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail('header does not start with "{" (it must be a JSON object)');
  let header: unknown;
  try {
    // JSON.parse allows trailing whitespace only, as the reference does: NUL padding is refused here.
    header = JSON.parse(text);
  } catch (e) {
    if (text.includes('\u0000')) return fail('header is padded with NUL bytes; the format pads it with spaces (0x20)');
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('header is not a JSON object');

  let metadata: Record<string, string> | null = null;
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null) continue;
      if (typeof info !== 'object' || Array.isArray(info)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(info as object)) if (typeof v !== 'string') fail(`__metadata__ value of "${k}" is ${JSON.stringify(v)}, not a string`);
      metadata = { ...(info as Record<string, string>) };
      continue;
    }
    const t = info as Record<string, unknown>;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) return fail(`tensor ${name}: entry is not an object`);
    if (typeof t.dtype !== 'string') fail(`tensor ${name}: missing dtype`);
    const dtype = t.dtype as string;
    if (!Object.hasOwn(DTYPE_BITS, dtype)) fail(`tensor ${name}: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BITS).join(', ')})`);
    if (!Array.isArray(t.shape) || !t.shape.every(isCount)) fail(`tensor ${name}: shape must be a list of non-negative integers (got ${JSON.stringify(t.shape)})`);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isCount)) fail(`tensor ${name}: data_offsets must be two non-negative integers (got ${JSON.stringify(off)})`);
    const [begin, end] = off as number[];
    if (end < begin) fail(`tensor ${name}: data_offsets [${begin}, ${end}] end before they begin`);
    entries.push({ name, dtype, shape: t.shape as number[], begin, end });
  }

  const dataLen = bytes.length - 8 - n;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of entries) {
    if (e.begin < covered) fail(`tensor ${e.name}: bytes [${e.begin}, ${e.end}) overlap the previous tensor (which ends at ${covered})`);
    if (e.begin > covered) fail(`tensor ${e.name}: gap in the data buffer: bytes [${covered}, ${e.begin}) belong to no tensor`);
    const count = e.shape.reduce((a, d) => a * d, 1);
    const bits = count * DTYPE_BITS[e.dtype];
    if (!Number.isSafeInteger(count) || bits % 8 !== 0 || bits / 8 !== e.end - e.begin) {
      fail(`tensor ${e.name}: shape [${e.shape}] of ${e.dtype} needs ${bits / 8} bytes but data_offsets [${e.begin}, ${e.end}] hold ${e.end - e.begin}`);
    }
    if (e.end > dataLen) fail(`tensor ${e.name}: data_offsets end at ${e.end} but the data buffer has only ${dataLen} bytes (file truncated?)`);
    covered = e.end;
  }
  if (covered !== dataLen) fail(`${dataLen - covered} trailing bytes after the last tensor (the data buffer must be covered exactly)`);

  const tensors = new Map<string, ReadTensor>();
  for (const e of entries) {
    const count = e.shape.reduce((a, d) => a * d, 1);
    const data = decode(e.dtype, bytes.subarray(8 + n + e.begin, 8 + n + e.end), count);
    if (data) {
      const bad = data.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) fail(`tensor ${e.name}: value ${data[bad]} at flat index ${bad} is not finite`);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { metadata, tensors };
}
