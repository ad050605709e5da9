/**
 * The adapter PEFT itself saved (fixtures/golden/peft_adapter): our reader takes its files, and a CPU
 * forward with W x + b + s B A x on every adapted layer reproduces the outputs PEFT computed (io.json).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readSafetensors } from './safetensors';
import { mlpForwardCpu } from './cpuForward';
import { assertClose } from '../test/compare';

const dir = new URL('../../fixtures/golden/peft_adapter/', import.meta.url);
const bytes = (f: string) => new Uint8Array(readFileSync(new URL(f, dir)));
const io = JSON.parse(readFileSync(new URL('io.json', dir), 'utf8'));
const config = JSON.parse(readFileSync(new URL('adapter_config.json', dir), 'utf8'));

describe('the PEFT-saved golden adapter', () => {
  it('reads, and the CPU forward matches PEFT outputs with and without the adapter', () => {
    const adapter = readSafetensors(bytes('adapter_model.safetensors'), 'adapter_model.safetensors').tensors;
    const base = readSafetensors(bytes('base_model.safetensors'), 'base_model.safetensors').tensors;
    const modules = ['layers.0', 'layers.1', 'head'];
    expect([...config.target_modules].sort()).toEqual([...modules].sort());
    const s = config.lora_alpha / config.r; // use_rslora false
    const layers = modules.map((m) => ({
      W: base.get(`${m}.weight`)!.data!,
      b: base.get(`${m}.bias`)!.data!,
      lora: { A: adapter.get(`base_model.model.${m}.lora_A.weight`)!.data!, B: adapter.get(`base_model.model.${m}.lora_B.weight`)!.data!, r: config.r, s },
    }));
    const sizes = [6, 8, 8, 3];
    const rows = io.x_shape[0];
    // PEFT ran in float32; our forward is float64 on the same f32 inputs.
    const tol = { atol: 1e-6, rtol: 1e-5 };
    assertClose(mlpForwardCpu(layers.map(({ W, b }) => ({ W, b })), sizes, 'gelu_tanh', io.x, rows), io.base_output, tol, 'base');
    assertClose(mlpForwardCpu(layers, sizes, 'gelu_tanh', io.x, rows), io.adapted_output, tol, 'adapted');
  });
});
