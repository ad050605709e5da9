import { describe, expect, it } from 'vitest';
import { zipEntries, ZipError } from './zipEntries';
import { writeRawZip, zeroDeflate } from '../test/zipMutations';

const CAP = 64 * 2 ** 20;
const all = () => true;

describe('zipEntries: the cap holds before and while inflating', () => {
  // 1 + 258 n zeros: n = 400,000 gives 103 MB from 650 KB of deflate data
  const n = 400_000;
  const stored = zeroDeflate(n);

  it('reads a stored and a deflated entry, and checks their CRC-32', () => {
    const data = new TextEncoder().encode('{"r": 4}');
    const zip = writeRawZip([{ name: 'a/x.json', data, method: 0 }, { name: 'a/y.json', data }]);
    const got = zipEntries(zip, 'z.zip', all, CAP);
    expect(got['a/x.json']).toEqual(data);
    expect(got['a/y.json']).toEqual(data);
    expect(() => zipEntries(writeRawZip([{ name: 'x', data, crc: 1 }]), 'z.zip', all, CAP)).toThrow(/entry "x" is damaged \(its CRC-32/);
  });

  it('refuses a declared size over the cap before inflating, and a lying one after at most one chunk', () => {
    const honest = writeRawZip([{ name: 'm.safetensors', data: new Uint8Array(0), stored, declared: 1 + 258 * n, crc: 0 }]);
    const lying = writeRawZip([{ name: 'm.safetensors', data: new Uint8Array(0), stored, declared: 1000, crc: 0 }]);
    let t = performance.now();
    expect(() => zipEntries(honest, 'z.zip', all, CAP)).toThrow(new ZipError(`z.zip: entry "m.safetensors" declares ${1 + 258 * n} bytes, over the ${CAP}-byte limit for an adapter's files`));
    const tHonest = performance.now() - t;
    t = performance.now();
    expect(() => zipEntries(lying, 'z.zip', all, CAP)).toThrow(/entry "m\.safetensors" inflates past its declared 1000 bytes/);
    const tLying = performance.now() - t;
    // inflating all of it would take far longer than stopping at the first 4 KiB chunk
    expect(tLying).toBeLessThan(2000);
    console.log(`zip bomb (${(1 + 258 * n) / 1e6} MB in ${stored.length / 1e3} KB): refused in ${tHonest.toFixed(1)} ms by its declared size, ${tLying.toFixed(1)} ms while inflating a lying one`);
  });
});
