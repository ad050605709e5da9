/** The README.md of a language-model export: what is inside, how to load it, the run's settings. */
import type { LlamaShape } from '../ref/llama';
import type { LlamaTargets } from '../tasks/llamaModel';
import { BASE_DIR, exportedAlpha, lmScaling } from './lmPeftFormat';

export interface LmReadmeInput {
  label: string;
  shape: LlamaShape;
  targets: LlamaTargets;
  r: number;
  alpha: number;
  rslora: boolean;
  asPlainLora: boolean;
  modules: string[]; // the adapted modules' PEFT names
  settings: Record<string, unknown>;
  generation: { prompt: string; text: string };
  cases: number;
  hasMetrics: boolean;
  hasMerged: boolean;
}

const cell = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v)).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const quote = (s: string) => JSON.stringify(s);

export function lmBundleReadme(x: LmReadmeInput): string {
  const s = x.shape;
  const written = exportedAlpha(x, x.asPlainLora);
  const scaling = x.rslora
    ? x.asPlainLora
      ? `rsLoRA (s = lora_alpha / sqrt(r)), written as plain LoRA: \`lora_alpha\` = ${x.alpha} * sqrt(${x.r}) = ${+written.lora_alpha.toPrecision(12)}, \`use_rslora\` false, so lora_alpha / r is the same s`
      : 'rsLoRA: s = lora_alpha / sqrt(r) (`use_rslora` true)'
    : 's = lora_alpha / r';
  const layers = [...new Set(x.targets.layers)].sort((a, b) => a - b);
  const rows = [
    ['`base/`', `the frozen base model, a transformers \`LlamaForCausalLM\` (config.json, generation_config.json, model.safetensors), byte for byte the files LoRA Lab trained on`],
    ['`adapter/`', `a PEFT LoRA adapter: \`adapter_config.json\` and \`adapter_model.safetensors\` (F32, \`base_model.model.<module>.lora_A.weight\` (r, in) and \`...lora_B.weight\` (out, r))`],
    ...(x.hasMerged ? [['`merged/`', 'the adapter merged into the base (W + s B A on every adapted projection): a plain model folder, no PEFT needed']] : []),
    ['`test_cases.json`', `${x.cases} token sequences with the logits the page computed (adapter applied), and its greedy continuation of the prompt`],
    ['`load_adapter.py`', 'loads base/ and adapter/ with transformers and PEFT and continues a prompt; `--check` compares with test_cases.json'],
    ...(x.hasMetrics ? [['`metrics.csv`', 'the logged metrics of the run, one row per logged step']] : []),
  ];
  return `# LoRA Lab language-model export: ${x.label}

A LoRA adapter for the byte-level language model in \`base/\` (${s.layers} layers, hidden size ${s.hidden}, ${s.heads} heads,
vocabulary of ${s.vocab} bytes, context ${s.context}), trained in the browser by LoRA Lab, in Hugging Face PEFT's format.

| | |
|---|---|
| adapted modules | ${x.targets.types.map((t) => `\`${t}\``).join(', ')} on layer${layers.length > 1 ? 's' : ''} ${layers.join(', ')} (${x.modules.length} modules) |
| rank \`r\` | ${x.r} |
| \`lora_alpha\` (as trained) | ${x.alpha} |
| scaling | ${scaling}; s = ${+lmScaling(x).toPrecision(8)} |

The page's greedy continuation of ${quote(x.generation.prompt)}:

> ${cell(x.generation.prompt + x.generation.text)}

## Files

| file | what |
|---|---|
${rows.map(([f, what]) => `| ${f} | ${what} |`).join('\n')}

## Load it

Token ids are bytes (id = UTF-8 byte value): no tokenizer.

\`\`\`python
import torch
from transformers import AutoModelForCausalLM
from peft import PeftModel

base = AutoModelForCausalLM.from_pretrained("base", dtype=torch.float32)
model = PeftModel.from_pretrained(base, "adapter").eval()
ids = torch.tensor([list(${quote(x.generation.prompt)}.encode("utf-8"))])
out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=50, do_sample=False, pad_token_id=0)
print(bytes(out[0].tolist()).decode("utf-8", errors="replace"))
merged = model.merge_and_unload()   # a plain LlamaForCausalLM with W + s B A
\`\`\`

\`adapter_config.json\` names its base as \`${BASE_DIR}\`, so \`AutoPeftModelForCausalLM.from_pretrained("adapter")\` also works when run
from this folder. Or run the script:

\`\`\`sh
pip install torch transformers peft safetensors
python load_adapter.py            # prints the greedy continuation
python load_adapter.py --check    # and compares with the page's logits and tokens; exit code 0 when they agree
\`\`\`

## Settings

| setting | value |
|---|---|
${Object.entries(x.settings).map(([k, v]) => `| \`${k}\` | ${cell(v)} |`).join('\n')}
`;
}
