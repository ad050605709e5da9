import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { readSafetensors, writeSafetensors, SafetensorsError, MAX_HEADER_BYTES } from './safetensors';

const dir = new URL('../../fixtures/golden/safetensors/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; data: number[] }>;
  reference_library_verdicts: Record<string, string>;
  must_reject: Record<string, string>;
};
const file = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));

/** A header (compact JSON, space-padded) and a data buffer, put together as the format says. */
function craft(header: unknown, data: Uint8Array, pad = 0x20): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + data.length).fill(pad, 8, 8 + n);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.set(data, 8 + n);
  return out;
}

describe('safetensors reader: the golden files get the reference library verdicts', () => {
  const names = readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
  it('every golden file has a verdict', () => {
    expect(names.sort()).toEqual(Object.keys(expected.reference_library_verdicts).sort());
  });
  for (const name of names) {
    const verdict = expected.reference_library_verdicts[name];
    it(`${name}: ${verdict.split(':')[0]}`, () => {
      if (verdict === 'accepted') {
        const f = readSafetensors(file(name), name);
        expect(f.metadata).toEqual(expected.metadata);
        for (const [k, t] of Object.entries(expected.tensors)) {
          const got = f.tensors.get(k)!;
          expect(got.shape).toEqual(t.shape);
          expect(Array.from(got.data!)).toEqual(t.data);
        }
        expect(f.tensors.size).toBe(Object.keys(expected.tensors).length);
      } else {
        // One message naming the file and the problem.
        expect(() => readSafetensors(file(name), name)).toThrow(SafetensorsError);
        expect(() => readSafetensors(file(name), name)).toThrow(new RegExp(`^${name.replace('.', '\\.')}: `));
      }
    });
  }
});

describe('safetensors writer', () => {
  it('writes the golden valid adapter byte for byte (same tensors, same metadata)', () => {
    const tensors = Object.entries(expected.tensors).map(([name, t]) => ({ name, shape: t.shape, data: Float32Array.from(t.data) }));
    expect(writeSafetensors(tensors.reverse(), expected.metadata)).toEqual(file('valid_adapter.safetensors'));
  });

  it('round-trips tensors and metadata; sizes 1, 3, 17, 63, 64, 65, 129 and an empty tensor', () => {
    const shapes = [[1], [3, 1], [17, 3], [63, 64], [65, 1], [129, 2], [0, 4]];
    const tensors = shapes.map((shape, i) => {
      const n = shape.reduce((a, d) => a * d, 1);
      return { name: `t${i}.weight`, shape, data: Float32Array.from({ length: n }, (_, j) => Math.sin(j + i) * 10 ** (j % 7 - 3)) };
    });
    const meta = { format: 'pt', zeta: 'ü "quoted" \n', alpha: '1' };
    const bytes = writeSafetensors(tensors, meta);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const f = readSafetensors(bytes, 'rt.safetensors');
    expect(f.metadata).toEqual(meta);
    expect([...f.tensors.keys()]).toEqual(tensors.map((t) => t.name).sort());
    for (const t of tensors) {
      expect(f.tensors.get(t.name)!.shape).toEqual(t.shape);
      expect(f.tensors.get(t.name)!.data).toEqual(t.data);
    }
  });

  it('refuses tensors whose values do not fill their shape', () => {
    expect(() => writeSafetensors([{ name: 'a', shape: [2, 2], data: new Float32Array(3) }])).toThrow(/shape \[2,2\] but 3 values/);
  });
});

describe('safetensors reader: more malformed files', () => {
  const f32 = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);
  const one = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
  const cases: [string, Uint8Array, RegExp][] = [
    ['NaN value', craft({ a: one }, f32([NaN])), /tensor a: value NaN .* not finite/],
    ['Infinity value', craft({ a: one }, f32([Infinity])), /not finite/],
    ['header over the cap', (() => { const b = craft({}, new Uint8Array()); new DataView(b.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 8), true); return b; })(), /over the 100,000,000-byte limit/],
    ['gap', craft({ a: { ...one, data_offsets: [4, 8] } }, new Uint8Array(8)), /gap in the data buffer: bytes \[0, 4\)/],
    ['array header', craft([1], new Uint8Array()), /does not start with|not a JSON object/],
    ['negative dim', craft({ a: { ...one, shape: [-1] } }, f32([1])), /shape must be a list of non-negative integers/],
    ['three offsets', craft({ a: { ...one, data_offsets: [0, 4, 4] } }, f32([1])), /data_offsets must be two/],
    ['end before begin', craft({ a: { ...one, data_offsets: [4, 0] } }, f32([1])), /end before they begin/],
    ['metadata not an object', craft({ __metadata__: 'pt' }, new Uint8Array()), /__metadata__ must be an object/],
    ['missing dtype', craft({ a: { shape: [1], data_offsets: [0, 4] } }, f32([1])), /missing dtype/],
    ['F16 infinity', craft({ a: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array([0x00, 0x7c])), /not finite/],
  ];
  for (const [what, bytes, msg] of cases) {
    it(`rejects: ${what}`, () => expect(() => readSafetensors(bytes, 'x.safetensors')).toThrow(msg));
  }

  it('accepts what the reference accepts: null metadata, tensors listed out of order, F16/BF16/I64', () => {
    const half = new Uint8Array([0x00, 0x3c, 0x00, 0xc0]); // f16 1.0, -2.0
    const bf = new Uint8Array([0x80, 0x3f]); // bf16 1.0
    const f = readSafetensors(
      craft(
        {
          __metadata__: null,
          z: { dtype: 'I64', shape: [1], data_offsets: [6, 14] },
          h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
          b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] },
        },
        new Uint8Array([...half, ...bf, 1, 0, 0, 0, 0, 0, 0, 0]),
      ),
    );
    expect(f.metadata).toBeNull();
    expect([...f.tensors.keys()]).toEqual(['h', 'b', 'z']);
    expect(Array.from(f.tensors.get('h')!.data!)).toEqual([1, -2]);
    expect(Array.from(f.tensors.get('b')!.data!)).toEqual([1]);
    expect(f.tensors.get('z')!.data).toBeNull();
  });

  it('the PEFT-saved adapter and base model are accepted', () => {
    const peft = new URL('../../fixtures/golden/peft_adapter/', import.meta.url);
    const adapter = readSafetensors(new Uint8Array(readFileSync(new URL('adapter_model.safetensors', peft))), 'adapter_model.safetensors');
    expect(adapter.metadata).toEqual({ format: 'pt' });
    expect(adapter.tensors.get('base_model.model.layers.1.lora_B.weight')!.shape).toEqual([8, 2]);
    const base = readSafetensors(new Uint8Array(readFileSync(new URL('base_model.safetensors', peft))), 'base_model.safetensors');
    expect([...base.tensors.keys()].sort()).toEqual(['head.bias', 'head.weight', 'layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight']);
  });
});
