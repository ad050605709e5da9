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
  /** The run's training files are in the bundle (train_with_peft.py and what it reads). */
  training: { lmData: string; mode: string } | null;
}

/** The "Train it again" section: how train_with_peft.py reruns the page's run, and what it cannot repeat. */
function trainSection(t: { lmData: string; mode: string }): string {
  const text = t.lmData === 'user' ? 'your own text (the bytes you gave the page)' : `the ${t.lmData} corpus the page trained on`;
  return `
## Train it again in PyTorch + PEFT

\`\`\`sh
pip install torch transformers peft safetensors numpy
python train_with_peft.py --out train_out   # flags: --steps --rank --batch --seq-len --device cuda --mixed-precision bf16
\`\`\`

\`train_with_peft.py\` rebuilds the run from this folder alone: \`base/\` (loaded with \`AutoModelForCausalLM\`, float32,
eager attention), \`data/finetune.txt\` (${text}), \`data/pretrain_heldout.txt\` (the held-out 5% of the pretraining
corpus: the second eval set) and \`run_config.json\`. The training windows of every step are the page's byte for
byte and ${t.mode === 'fft' ? 'the targeted projections are trained in full' : "the LoRA factors at step 0 are the page's bit for bit (PEFT's `LoraConfig` as in `adapter/adapter_config.json`, then the page's init scheme)"};
the loss (mean next-token cross-entropy), optimizer, schedule, clipping and gradient accumulation are the page's, so
the losses follow the page's to float32 rounding (LoRA Lab's tests: within 3e-6 relative over 8-step runs). It writes \`metrics.csv\` (the page's columns), \`metrics.json\`
(both eval losses) and ${t.mode === 'fft' ? '\`model/\` (a plain transformers folder)' : '\`adapter/\` (\`save_pretrained\`)'} under \`train_out/\`. The page trains the language
model without dropout; \`--lora-dropout\` > 0 uses PEFT's own random masks, so such a run no longer repeats the page's
numbers (the script warns). Under \`accelerate launch --multi_gpu --num_processes N train_with_peft.py --accelerate\` each
process takes its share of every micro-batch.
`;
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
    ...(x.training
      ? [
          ['`train_with_peft.py`', 'trains the same run again in PyTorch + PEFT from this folder: the same windows, init, optimizer and schedule'],
          ['`lm_task.py`, `toy_task.py`, `train_common.py`', "what it imports: the page's text windows and LoRA init, its seeded generator, its schedule, optimizers and metrics CSV"],
          ['`run_config.json`', "the run's configuration (the page's RunConfig)"],
          ['`data/`', '`finetune.txt` (the fine-tuning text) and `pretrain_heldout.txt` (the pretraining corpus\'s held-out 5%)'],
        ]
      : []),
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

${x.training ? trainSection(x.training) : ''}
## Settings

| setting | value |
|---|---|
${Object.entries(x.settings).map(([k, v]) => `| \`${k}\` | ${cell(v)} |`).join('\n')}
`;
}
