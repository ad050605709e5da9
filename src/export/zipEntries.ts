/**
 * The entries of a dropped zip, read from its central directory (APPNOTE 4.3.12-4.3.16) and inflated
 * with fflate's streaming Inflate under a byte cap, for the adapter import (adapterFiles.ts):
 *   EOCD (22 bytes + comment, at the end)  -> entry count, central directory offset
 *   central header 0x02014b50 (46 bytes + name + extra + comment) -> flags, method, sizes, local offset
 *   local header 0x04034b50 (30 bytes + name + extra) -> the entry's data follows
 * Only the entries `wanted` names are inflated, into at most `cap` bytes in all: a declared size over
 * what is left of the cap is refused before anything is allocated, and a stream that inflates past its
 * declared size (a lying header, a zip bomb) is stopped after at most one chunk's worth of output. Refused, each
 * with a message naming the entry: names that are absolute or climb out with `..`, two entries with the
 * same name, encryption, Zip64, methods other than stored (0) and deflate (8), sizes or a CRC-32 that
 * disagree with the data, and anything structurally broken.
 */
import { Inflate } from 'fflate';

export interface ZipEntryInfo {
  name: string;
  /** Compressed and declared uncompressed size, as the central directory says. */
  size: number;
  originalSize: number;
}

export class ZipError extends Error {}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (ISO 3309, the polynomial zip uses), of `data`. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Compressed bytes pushed to the inflater at a time: deflate expands 4 KiB to at most ~4.2 MB. */
const CHUNK = 4 * 1024;

export function zipEntries(bytes: Uint8Array, zipName: string, wanted: (name: string) => boolean, cap: number): Record<string, Uint8Array> {
  const fail = (problem: string): never => {
    throw new ZipError(`${zipName}: ${problem}`);
  };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => (o + 2 <= bytes.length ? v.getUint16(o, true) : fail('not a readable zip file (cut short)'));
  const u32 = (o: number) => (o + 4 <= bytes.length ? v.getUint32(o, true) : fail('not a readable zip file (cut short)'));
  // The end-of-central-directory record: the last signature within the final 22 + 65535 bytes.
  let eocd = -1;
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 0xffff); o--) {
    if (v.getUint32(o, true) === 0x06054b50) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) fail('not a readable zip file (no end-of-central-directory record)');
  const count = u16(eocd + 10);
  const cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) fail('is a Zip64 archive, which is not supported (an adapter zip is far below 4 GiB)');
  if (count === 0) fail('is an empty zip');
  const names = new Set<string>();
  let left = cap;
  const out: Record<string, Uint8Array> = {};
  let o = cdOffset;
  for (let i = 0; i < count; i++) {
    if (u32(o) !== 0x02014b50) fail(`not a readable zip file (central directory entry ${i + 1} is damaged)`);
    const flags = u16(o + 8);
    const method = u16(o + 10);
    const crc = u32(o + 16);
    const size = u32(o + 20);
    const originalSize = u32(o + 24);
    const nameLen = u16(o + 28);
    const local = u32(o + 42);
    if (o + 46 + nameLen > bytes.length) fail('not a readable zip file (cut short)');
    const name = new TextDecoder().decode(bytes.subarray(o + 46, o + 46 + nameLen));
    o += 46 + nameLen + u16(o + 30) + u16(o + 32);
    const what = `entry "${name}"`;
    if (/^([/\\]|[A-Za-z]:)/.test(name)) fail(`${what} has an absolute path`);
    if (name.split(/[/\\]/).includes('..')) fail(`${what} climbs out of the zip with ".."`);
    if (names.has(name)) fail(`${what} appears twice; which one is the adapter is ambiguous`);
    names.add(name);
    if (name.endsWith('/') || !wanted(name)) continue;
    if (flags & 1) fail(`${what} is encrypted`);
    if (size === 0xffffffff || originalSize === 0xffffffff) fail(`${what} is a Zip64 entry, which is not supported`);
    if (method !== 0 && method !== 8) fail(`${what} uses compression method ${method}; only stored (0) and deflate (8) are read`);
    if (originalSize > left) fail(`${what} declares ${originalSize} bytes, over the ${cap}-byte limit for an adapter's files`);
    left -= originalSize;
    if (u32(local) !== 0x04034b50) fail(`${what}: its local header is missing`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + size > bytes.length) fail(`${what}: its ${size} compressed bytes run past the end of the zip`);
    const data = bytes.subarray(start, start + size);
    const file = method === 0 ? (size === originalSize ? data.slice() : fail(`${what} is stored with ${size} bytes but declares ${originalSize}`)) : inflateCapped(data, originalSize, what, fail);
    if (crc32(file) !== crc) fail(`${what} is damaged (its CRC-32 does not match its data)`);
    out[name] = file;
  }
  return out;
}

/** Inflate `data` into exactly `declared` bytes, stopping as soon as the stream gives more. */
function inflateCapped(data: Uint8Array, declared: number, what: string, fail: (p: string) => never): Uint8Array {
  const buf = new Uint8Array(declared);
  let got = 0;
  let ended = false;
  const inf = new Inflate((chunk, final) => {
    if (got + chunk.length > declared) fail(`${what} inflates past its declared ${declared} bytes (a damaged zip or a zip bomb)`);
    buf.set(chunk, got);
    got += chunk.length;
    ended ||= final;
  });
  try {
    for (let p = 0; p < data.length && !ended; p += CHUNK) inf.push(data.subarray(p, p + CHUNK), p + CHUNK >= data.length);
  } catch (e) {
    if (e instanceof ZipError) throw e;
    fail(`${what} is not valid deflate data (${(e as Error).message})`);
  }
  if (data.length === 0) fail(`${what} has no deflate data`);
  if (!ended || got !== declared) fail(`${what} inflates to ${got} bytes but declares ${declared}`);
  return buf;
}
