/**
 * A Hugging Face LlamaForCausalLM config.json read into the shape the engine and the CPU reference use.
 * Strict: every field that changes the math must be one this project implements (SiLU MLP without
 * biases, default RoPE, untied lm_head); anything else is refused with the field named, because a
 * model computed differently from transformers would make every exported adapter wrong.
 */
import type { LlamaShape } from '../ref/llama';

const int = (c: Record<string, unknown>, k: string, min = 1): number => {
  const v = c[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`config.json: ${k} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
  return v;
};

export function llamaShapeFromConfig(raw: unknown): LlamaShape {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('config.json: not a JSON object');
  const c = raw as Record<string, unknown>;
  if (c.model_type !== 'llama') throw new Error(`config.json: model_type must be "llama" (got ${JSON.stringify(c.model_type)})`);
  const heads = int(c, 'num_attention_heads');
  const kvHeads = c.num_key_value_heads === undefined || c.num_key_value_heads === null ? heads : int(c, 'num_key_value_heads');
  const hidden = int(c, 'hidden_size');
  if (heads % kvHeads !== 0) throw new Error(`config.json: num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads})`);
  const headDim = c.head_dim === undefined || c.head_dim === null ? hidden / heads : int(c, 'head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new Error(`config.json: the head dimension (${headDim}) must be an even integer`);
  if ((c.hidden_act ?? 'silu') !== 'silu') throw new Error(`config.json: hidden_act must be "silu" (got ${JSON.stringify(c.hidden_act)})`);
  for (const k of ['attention_bias', 'mlp_bias', 'tie_word_embeddings'] as const)
    if (c[k] === true) throw new Error(`config.json: ${k} = true is not supported (only false)`);
  const rope = (c.rope_parameters ?? { rope_type: 'default', rope_theta: c.rope_theta }) as Record<string, unknown>;
  if ((rope.rope_type ?? 'default') !== 'default') throw new Error(`config.json: only the default RoPE is supported (got rope_type ${JSON.stringify(rope.rope_type)})`);
  const ropeTheta = rope.rope_theta ?? 10000;
  if (typeof ropeTheta !== 'number' || !(ropeTheta > 0)) throw new Error(`config.json: rope_theta must be a positive number (got ${JSON.stringify(ropeTheta)})`);
  const eps = c.rms_norm_eps ?? 1e-6;
  if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`config.json: rms_norm_eps must be a positive number (got ${JSON.stringify(eps)})`);
  return {
    vocab: int(c, 'vocab_size'),
    hidden,
    intermediate: int(c, 'intermediate_size'),
    layers: int(c, 'num_hidden_layers'),
    heads,
    kvHeads,
    headDim,
    eps,
    ropeTheta,
    context: int(c, 'max_position_embeddings'),
  };
}
