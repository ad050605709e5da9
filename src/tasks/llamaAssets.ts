/**
 * The language model's shipped files, fetched from the page's own origin (Vite serves public/ at the
 * base URL): the base model folder (public/models/tiny-llama-kjv) and the corpora (public/data).
 */
import { readSafetensors } from '../export/safetensors';
import type { LlamaShape, LlamaWeights } from '../ref/llama';
import { llamaShapeFromConfig } from './llamaConfig';

export const BASE_MODEL = 'tiny-llama-kjv';
export const CORPORA = { kjv: 'kjv.txt', shakespeare: 'tinyshakespeare.txt' } as const;

const asset = (path: string) => `${import.meta.env.BASE_URL}${path}`;

/** Each file is fetched once per page (or worker): runs and sweeps share the bytes. */
const fetched = new Map<string, Promise<Uint8Array>>();

function bytesOf(path: string): Promise<Uint8Array> {
  let p = fetched.get(path);
  if (!p) {
    p = fetch(asset(path)).then(async (r) => {
      if (!r.ok) throw new Error(`could not load ${path} (HTTP ${r.status})`);
      return new Uint8Array(await r.arrayBuffer());
    });
    p.catch(() => fetched.delete(path)); // a failed fetch is retried next time
    fetched.set(path, p);
  }
  return p;
}

let base: Promise<{ shape: LlamaShape; weights: LlamaWeights }> | null = null;

/**
 * The base model's shape (from its config.json) and weights (from model.safetensors), checked; parsed
 * once (every run, sample and export reads the same frozen weights, and none writes to them).
 */
export function loadBaseModel(): Promise<{ shape: LlamaShape; weights: LlamaWeights }> {
  if (!base) {
    base = parseBase();
    base.catch(() => (base = null)); // a failed load is tried again next time
  }
  return base;
}

async function parseBase(): Promise<{ shape: LlamaShape; weights: LlamaWeights }> {
  const [config, model] = await Promise.all([bytesOf(`models/${BASE_MODEL}/config.json`), bytesOf(`models/${BASE_MODEL}/model.safetensors`)]);
  const shape = llamaShapeFromConfig(JSON.parse(new TextDecoder().decode(config)));
  const file = readSafetensors(model, 'model.safetensors');
  const weights: LlamaWeights = {};
  for (const [name, t] of file.tensors) {
    if (!t.data) throw new Error(`model.safetensors: ${name} is ${t.dtype}, not a float tensor`);
    weights[name] = t.data;
  }
  return { shape, weights };
}

/** A shipped corpus's bytes. */
export const loadCorpus = (file: (typeof CORPORA)[keyof typeof CORPORA]): Promise<Uint8Array> => bytesOf(`data/${file}`);

/** The base model folder's files byte for byte (what an export ships as base/). */
export async function loadBaseFiles(): Promise<{ config: string; generationConfig: string; safetensors: Uint8Array }> {
  const dec = new TextDecoder();
  const [config, generation, model] = await Promise.all(['config.json', 'generation_config.json', 'model.safetensors'].map((f) => bytesOf(`models/${BASE_MODEL}/${f}`)));
  return { config: dec.decode(config), generationConfig: dec.decode(generation), safetensors: model };
}
