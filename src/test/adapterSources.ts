/**
 * Real exported adapters to mutate (importVerdicts.test.ts): two toy-MLP runs built on the CPU
 * (fakeRun, the page's export path) and two language-model adapters on the shipped base
 * (public/models/tiny-llama-kjv), as plain data: adapter_config.json's object and the tensors, which
 * writeRawSafetensors serialises in any dtype. Also the bases for the PEFT judge.
 */
import { readFileSync } from 'node:fs';
import { type RunConfig } from '../config/schema';
import { BASE_SHAPE } from '../tasks/llamaBase';
import { MODULE_TYPES, type LlamaTargets } from '../tasks/llamaModel';
import { bundleFiles } from '../export/bundle';
import { lmAdapterConfig, lmAdapterTensors } from '../export/lmPeftFormat';
import { readSafetensors } from '../export/safetensors';
import { fakeRun, smallConfig } from './exportRun';
import { randomAdapters } from './lmRun';

export interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Row-major values, written in `dtype` (rounded for the integer dtypes). */
  values: Float32Array;
}

export interface Source {
  name: string;
  base: 'toy' | 'lm';
  config: Record<string, unknown>;
  tensors: RawTensor[];
  metadata: Record<string, string>;
  /** The whole export's other files (by path in the zip), beside adapter/. */
  extra: Record<string, Uint8Array>;
}

/** The toy page the toy adapters are imported into: the same base model shapes as the runs. */
export const TOY_PAGE: RunConfig = smallConfig();
export const LM_FOLDER = new URL('../../public/models/tiny-llama-kjv/', import.meta.url);

const dec = new TextDecoder();
const fromFile = (bytes: Uint8Array): RawTensor[] => [...readSafetensors(bytes).tensors].map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, values: t.data! }));

function toySource(name: string, cfg: RunConfig): Source {
  const files = bundleFiles(fakeRun(cfg));
  const model = files['adapter/adapter_model.safetensors'];
  const extra = Object.fromEntries(Object.entries(files).filter(([p]) => !p.startsWith('adapter/')));
  return { name, base: 'toy', config: JSON.parse(dec.decode(files['adapter/adapter_config.json'])), tensors: fromFile(model), metadata: readSafetensors(model).metadata ?? {}, extra };
}

function lmSource(name: string, targets: LlamaTargets, r: number, alpha: number, rslora: boolean, seed: number): Source {
  const x = { shape: BASE_SHAPE, targets, r, alpha, rslora, adapters: randomAdapters(BASE_SHAPE, targets, r, seed, 0.1) };
  const tensors = lmAdapterTensors(x).map((t) => ({ name: t.name, dtype: 'F32', shape: [...t.shape], values: t.data }));
  return { name, base: 'lm', config: lmAdapterConfig(x, false, 0), tensors, metadata: { format: 'pt' }, extra: { 'README.md': new TextEncoder().encode('# LM export\n') } };
}

export function sources(): Source[] {
  return [
    toySource('toy-2-layers', smallConfig({ targets: [1, 2] })),
    toySource('toy-rslora-layer-2', smallConfig({ seed: 7, r: 2, lora_alpha: 3, scaling: 'rslora', targets: [2] })),
    lmSource('lm-qv-layer-1', { types: ['q_proj', 'v_proj'], layers: [1], mode: 'lora' }, 4, 8, false, 21),
    lmSource('lm-all-rslora', { types: [...MODULE_TYPES], layers: [0, 1], mode: 'lora' }, 2, 4, true, 22),
  ];
}

/** bases.json's toy entry and the toy base weights (from a bundle of the page's shapes). */
export function toyBase(): { sizes: number[]; activation: string; weights: Uint8Array } {
  const files = bundleFiles(fakeRun(TOY_PAGE));
  const model = JSON.parse(dec.decode(files['test_cases.json'])).model;
  return { sizes: model.sizes, activation: model.activation, weights: files['base_model.safetensors'] };
}

export const lmBaseFolder = () => new URL('.', LM_FOLDER).pathname;
export const readLmFile = (f: string) => readFileSync(new URL(f, LM_FOLDER));

// ---------------------------------------------------------------------------------------------------
// safetensors in any dtype (the page's writer writes F32 only)

function toHalf(x: number): number {
  const f = new DataView(new ArrayBuffer(4));
  f.setFloat32(0, x);
  const b = f.getUint32(0);
  const sign = (b >>> 16) & 0x8000;
  const exp = ((b >>> 23) & 0xff) - 127 + 15;
  const frac = b & 0x7fffff;
  if (((b >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (frac ? 0x200 : 0);
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) return exp < -10 ? sign : sign | ((frac | 0x800000) >> (14 - exp));
  return sign | (exp << 10) | (frac >> 13);
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, U8: 1, I8: 1, BOOL: 1 };

function encode(t: RawTensor): Uint8Array {
  const n = t.values.length;
  const w = BYTES[t.dtype];
  const out = new Uint8Array(n * w);
  const v = new DataView(out.buffer);
  const f = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < n; i++) {
    const x = t.values[i];
    switch (t.dtype) {
      case 'F64': v.setFloat64(8 * i, x, true); break;
      case 'F32': v.setFloat32(4 * i, x, true); break;
      case 'F16': v.setUint16(2 * i, toHalf(x), true); break;
      case 'BF16': f.setFloat32(0, x); v.setUint16(2 * i, f.getUint32(0) >>> 16, true); break;
      case 'I64': v.setBigInt64(8 * i, BigInt(Math.round(x)), true); break;
      case 'I32': v.setInt32(4 * i, Math.round(x), true); break;
      case 'I16': v.setInt16(2 * i, Math.round(x), true); break;
      case 'I8': v.setInt8(i, Math.round(x)); break;
      case 'U8': v.setUint8(i, Math.abs(Math.round(x)) & 0xff); break;
      case 'BOOL': v.setUint8(i, x !== 0 ? 1 : 0); break;
      default: throw new Error(`no encoder for ${t.dtype}`);
    }
  }
  return out;
}

/** The reference layout: header JSON padded with spaces to 8 bytes, tensors in the order given. */
export function writeRawSafetensors(tensors: readonly RawTensor[], metadata: Record<string, unknown> | null): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const datas = tensors.map(encode);
  let off = 0;
  tensors.forEach((t, i) => {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + datas[i].length] };
    off += datas[i].length;
  });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + off).fill(0x20, 8, 8 + padded);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  let pos = 8 + padded;
  for (const d of datas) out.set(d, pos), (pos += d.length);
  return out;
}
