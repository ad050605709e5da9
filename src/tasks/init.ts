/**
 * LoRA init schemes (LORA_FACTS.md). Every scheme has one factor zero, so B A = 0 and step 0 is the
 * base model exactly. Shapes are PEFT's: A = lora_A.weight (r, dIn), B = lora_B.weight (dOut, r).
 *   initA    (muA Init[A]):        A ~ N(0, 1/dIn)                              B = 0
 *   initB    (muA Init[B]):        B ~ N(0, 1/r)                                A = 0
 *   peft     (init_lora_weights=True, kaiming_uniform(a=sqrt 5)):
 *                                  A ~ U(-1/sqrt(dIn), 1/sqrt(dIn)), var 1/(3 dIn)   B = 0
 *   gaussian (PEFT "gaussian"):    A ~ N(0, 1/r^2)                              B = 0
 */
import type { InitScheme } from '../config/schema';
import type { Rng } from '../rng';

export interface LoraFactors {
  A: Float32Array; // (r, dIn)
  B: Float32Array; // (dOut, r)
}

export function initLora(scheme: InitScheme, r: number, dIn: number, dOut: number, rng: Rng): LoraFactors {
  switch (scheme) {
    case 'initA':
      return { A: rng.normals(r * dIn, 1 / Math.sqrt(dIn)), B: new Float32Array(dOut * r) };
    case 'initB':
      return { A: new Float32Array(r * dIn), B: rng.normals(dOut * r, 1 / Math.sqrt(r)) };
    case 'peft': {
      const bound = 1 / Math.sqrt(dIn);
      return { A: rng.uniforms(r * dIn, -bound, bound), B: new Float32Array(dOut * r) };
    }
    case 'gaussian':
      return { A: rng.normals(r * dIn, 1 / r), B: new Float32Array(dOut * r) };
  }
}
