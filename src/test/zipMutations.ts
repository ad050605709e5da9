/**
 * Zip-level mutations of exported adapters for importVerdicts.test.ts. PEFT reads folders, so a zip has
 * no PEFT verdict: a zip that holds one adapter folder (nested, stored, with junk beside it) must be read
 * as that folder ('as-folder', compared with PEFT on the folder), every other must be refused by rule
 * ('refuse'): duplicated entries, `..` or absolute names, two folders, a zip in a zip, declared sizes
 * over the cap, streams that inflate past their declared size (zip bombs), bad CRCs, broken deflate,
 * cut-short zips, empty zips, bytes that are no zip. The zips are written here byte by byte (APPNOTE
 * 4.3), so that headers can lie.
 */
import { deflateSync } from 'fflate';
import { Rng } from '../rng';
import { crc32 } from '../export/zipEntries';
import { modelBytes, type AdapterFolder, type MutationCase } from './adapterMutations';
import type { Source } from './adapterSources';

export interface RawEntry {
  name: string;
  /** The entry's uncompressed bytes. */
  data: Uint8Array;
  method?: number;
  /** Overrides of what the headers say. */
  declared?: number;
  crc?: number;
  flags?: number;
  /** The bytes stored (default: data, deflated when method is 8). */
  stored?: Uint8Array;
}

const enc = (s: string) => new TextEncoder().encode(s);

export function writeRawZip(entries: readonly RawEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.method ?? 8;
    const stored = e.stored ?? (method === 8 ? deflateSync(e.data, { level: 6 }) : e.data);
    const name = enc(e.name);
    const fields = (h: DataView, at: number) => {
      h.setUint16(at, e.flags ?? 0, true);
      h.setUint16(at + 2, method, true);
      h.setUint16(at + 6, 0x21, true); // 1980-01-01
      h.setUint32(at + 8, e.crc ?? crc32(e.data), true);
      h.setUint32(at + 12, stored.length, true);
      h.setUint32(at + 16, e.declared ?? e.data.length, true);
      h.setUint16(at + 20, name.length, true);
    };
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    fields(lv, 6);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    fields(cv, 8);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, stored);
    central.push(cd);
    offset += local.length + stored.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, eocd];
  const out = new Uint8Array(all.reduce((a, p) => a + p.length, 0));
  let pos = 0;
  for (const p of all) out.set(p, pos), (pos += p.length);
  return out;
}

/**
 * `1 + 258 n` zero bytes as one fixed-Huffman deflate block (RFC 1951 3.2.6), written directly (deflating
 * 80 MiB takes seconds): BFINAL 1, BTYPE 01, literal 0 (8-bit code 0x30), then n copies of length 258
 * (code 285, 8 bits 0xc5) at distance 1 (code 0, 5 bits), end of block (code 256, 7 zero bits).
 */
export function zeroDeflate(n: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((3 + 8 + 13 * n + 7) / 8));
  let bit = 0;
  const put = (value: number, len: number) => {
    for (let k = 0; k < len; k++, bit++) if ((value >> k) & 1) out[bit >> 3] |= 1 << (bit & 7);
  };
  // Huffman codes go in most significant bit first
  const code = (c: number, len: number) => {
    for (let k = len - 1; k >= 0; k--, bit++) if ((c >> k) & 1) out[bit >> 3] |= 1 << (bit & 7);
  };
  put(1, 1);
  put(1, 2);
  code(0x30, 8);
  for (let i = 0; i < n; i++) code(0xc5, 8), code(0, 5);
  code(0, 7);
  return out;
}

/** About 80 MiB of zeros in 420 KB: inflates past the page's 64 MiB cap. */
let bomb: { stored: Uint8Array; size: number } | null = null;
function zeroBomb() {
  const n = Math.ceil((80 * 2 ** 20) / 258);
  bomb ??= { stored: zeroDeflate(n), size: 1 + 258 * n };
  return bomb;
}

export function zipMutations(srcs: readonly Source[], start: number, seed = 1): MutationCase[] {
  const out: MutationCase[] = [];
  for (const s of srcs) {
    const rng = Rng.stream(seed, `${s.name}-zip`);
    const folder: AdapterFolder = { config: enc(JSON.stringify(s.config, null, 2)), model: modelBytes(s) };
    const C = 'adapter_config.json';
    const M = 'adapter_model.safetensors';
    const pair = (dir: string, over: Partial<RawEntry> = {}, overModel: Partial<RawEntry> = {}): RawEntry[] => [
      { name: `${dir}${C}`, data: folder.config, ...over },
      { name: `${dir}${M}`, data: folder.model, ...overModel },
    ];
    const junk: RawEntry[] = Object.entries(s.extra).map(([name, data]) => ({ name, data }));
    const add = (kind: 'refuse' | 'as-folder', what: string, bytes: Uint8Array, mentions: string[], zipName = 'export.zip') =>
      out.push({ id: `z${String(start + out.length).padStart(5, '0')}`, family: `zip.${kind}`, what: `${s.name}: ${what}`, base: s.base, folder: kind === 'as-folder' ? folder : null, drop: [{ name: zipName, bytes }], mentions, zip: kind });
    const zip = (entries: RawEntry[]) => writeRawZip(entries);

    add('as-folder', 'the export layout', zip([...pair('adapter/'), ...junk]), []);
    add('as-folder', 'nested two folders deep', zip(pair('outer/inner/adapter/')), []);
    add('as-folder', 'the two files at the root', zip(pair('')), []);
    add('as-folder', 'with __MACOSX junk', zip([...pair('adapter/'), { name: `__MACOSX/adapter/._${C}`, data: enc('junk') }]), []);
    add('as-folder', 'stored, not deflated', zip(pair('adapter/', { method: 0 }, { method: 0 })), []);
    add('as-folder', 'with directory entries', zip([{ name: 'adapter/', data: new Uint8Array(0), method: 0 }, ...pair('adapter/')]), []);
    add('refuse', 'adapter_config.json twice (same bytes)', zip([...pair('adapter/'), { name: `adapter/${C}`, data: folder.config }]), [`adapter/${C}`]);
    add('refuse', 'adapter_model.safetensors twice (other bytes)', zip([...pair('adapter/'), { name: `adapter/${M}`, data: folder.model.slice(0, 100) }]), [`adapter/${M}`]);
    for (const dir of ['../adapter/', 'adapter/../../', '/adapter/', 'C:/adapter/', '..\\adapter\\', '\\adapter\\']) add('refuse', `entries named ${dir}…`, zip(pair(dir)), [`${dir}${C}`, `${dir}${M}`]);
    add('refuse', 'two adapter folders', zip([...pair('a/'), ...pair('b/')]), ['a/', 'b/']);
    add('refuse', 'the model missing', zip([{ name: `adapter/${C}`, data: folder.config }, ...junk]), [M]);
    add('refuse', 'the config missing', zip([{ name: `adapter/${M}`, data: folder.model }]), [C]);
    add('refuse', 'only a pickle', zip([{ name: `adapter/${C}`, data: folder.config }, { name: 'adapter/adapter_model.bin', data: enc('pickle') }]), ['adapter/adapter_model.bin']);
    add('refuse', 'a zip inside the zip', zip([{ name: 'inner.zip', data: zip(pair('adapter/')) }]), ['adapter folder']);
    add('refuse', 'model declares 3 GiB (deflate data of 2 KB)', zip(pair('adapter/', {}, { declared: 3 * 2 ** 30 })), [`adapter/${M}`]);
    const b = zeroBomb();
    add('refuse', 'model is an honest 80 MiB of zeros', zip(pair('adapter/', {}, { data: new Uint8Array(0), stored: b.stored, declared: b.size, crc: 0 })), [`adapter/${M}`]);
    add('refuse', 'zip bomb: 80 MiB of zeros declared as 1000 bytes', zip(pair('adapter/', {}, { data: new Uint8Array(0), stored: b.stored, declared: 1000, crc: 0 })), [`adapter/${M}`]);
    add('refuse', 'config declared 1 byte short', zip(pair('adapter/', { declared: folder.config.length - 1 })), [`adapter/${C}`]);
    add('refuse', 'model declared 1 byte long', zip(pair('adapter/', {}, { declared: folder.model.length + 1 })), [`adapter/${M}`]);
    add('refuse', 'stored model declared 1 byte long', zip(pair('adapter/', {}, { method: 0, declared: folder.model.length + 1 })), [`adapter/${M}`]);
    add('refuse', 'bad CRC-32 on the model', zip(pair('adapter/', {}, { crc: crc32(folder.model) ^ 1 })), [`adapter/${M}`]);
    const broken = deflateSync(folder.model);
    for (let k = 0; k < 3; k++) {
      const bad = broken.slice();
      const at = Math.floor(rng.uniform() * bad.length);
      bad[at] ^= 0x5a;
      add('refuse', `deflate data damaged at byte ${at}`, zip(pair('adapter/', {}, { stored: bad })), [`adapter/${M}`]);
    }
    add('refuse', 'compression method 12 (bzip2)', zip(pair('adapter/', {}, { method: 12, stored: folder.model })), [`adapter/${M}`]);
    add('refuse', 'the encrypted flag', zip(pair('adapter/', {}, { flags: 1 })), [`adapter/${M}`]);
    const whole = zip(pair('adapter/'));
    for (let k = 0; k < 4; k++) {
      const at = k === 0 ? whole.length - 1 : Math.floor(rng.uniform() * whole.length);
      add('refuse', `cut at byte ${at} of ${whole.length}`, whole.slice(0, at), ['export.zip']);
    }
    add('refuse', 'an empty zip', zip([]), ['export.zip']);
    add('refuse', 'random bytes named .zip', Uint8Array.from({ length: 300 }, () => Math.floor(rng.uniform() * 256)), ['export.zip']);
    add('refuse', 'a safetensors file named .zip', folder.model, ['export.zip']);
    add('refuse', 'PK magic, then garbage', Uint8Array.from([0x50, 0x4b, 3, 4, ...enc('garbage')]), ['adapter.bin'], 'adapter.bin');
  }
  return out;
}
