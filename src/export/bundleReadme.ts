/** The README.md of an export bundle: the run's settings, how it ended, and how to use the files. */
import { FIELDS, scalingFactor, type RunConfig } from '../config/schema';
import type { MetricPoint, RunStatus } from '../engine/protocol';
import { mlpSizes, targetModules } from './peftFormat';
import { toyModel } from '../tasks/toyModel';

export interface ReadmeInput {
  config: RunConfig;
  label: string;
  status: RunStatus;
  points: readonly MetricPoint[];
  version: string;
  query: string; // the run's settings as a LoRA Lab link query
  created: Date;
}

const fmt = (x: number | undefined) => (x === undefined ? '—' : Number.isFinite(x) ? String(+x.toPrecision(6)) : String(x));

function lastEval(points: readonly MetricPoint[]): MetricPoint | undefined {
  for (let i = points.length - 1; i >= 0; i--) if (points[i].evalLoss !== undefined) return points[i];
  return undefined;
}

export function bundleReadme(r: ReadmeInput): string {
  const c = r.config;
  const lora = c.mode === 'lora';
  const ev = lastEval(r.points);
  const last = r.points[r.points.length - 1];
  const settings = FIELDS.map((f) => {
    const v = c[f.key];
    return `| \`${f.key}\` | ${Array.isArray(v) ? v.join(', ') : String(v)} | ${f.help.replace(/\|/g, '\\|')} |`;
  });
  const files = lora
    ? [
        '| `adapter/adapter_model.safetensors` | the LoRA factors, F32: `base_model.model.layers.<i>.lora_A.weight` (r, in) and `...lora_B.weight` (out, r) |',
        '| `adapter/adapter_config.json` | PEFT `LoraConfig` (r, lora_alpha, use_rslora, target_modules, ...) |',
      ]
    : ['| `finetuned_model.safetensors` | the fully fine-tuned network (every layer, PyTorch names); PEFT adapters are LoRA-only, so a full fine-tuning run exports weights instead of an adapter |'];
  const sizes = mlpSizes(c);
  const modules = toyModel(c).modules;
  return `# LoRA Lab export: ${r.label}

Exported by LoRA Lab ${r.version} on ${r.created.toISOString()}.
Run: **${r.status.state}** after ${r.status.step} of ${c.steps} steps${r.status.stepsPerSec ? ` (${r.status.stepsPerSec.toFixed(1)} steps/s)` : ''}.

| | |
|---|---|
| final training loss (de-biased EMA of the last 10% of logged losses) | ${fmt(r.status.finalLoss ?? last?.loss)} |
| last logged training loss (step ${last?.step ?? '—'}) | ${fmt(last?.loss)} |
| last eval loss (step ${ev?.step ?? '—'}) | ${fmt(ev?.evalLoss)} |
| mode | ${lora ? `LoRA, r = ${c.r}, lora_alpha = ${c.lora_alpha}, scaling s = ${+scalingFactor(c).toPrecision(6)} (${c.scaling})` : 'full fine-tuning'} |

The model: an MLP with sizes ${JSON.stringify(sizes)}, modules in order: ${modules.map((m) => `\`${m.name}\` (${m.dIn} -> ${m.dOut}, ${m.mode === 'frozen' ? (m.adaptable ? 'adaptable, frozen in this run' : 'frozen') : m.mode === 'lora' ? 'LoRA' : 'fully trained'})`).join(', ')};
${c.activation === 'gelu_tanh' ? 'GELU (tanh approximation)' : 'ReLU'} after every module but \`${modules[modules.length - 1].name}\`; no biases.
Adapted (${lora ? 'LoRA' : 'fully trained'}): ${targetModules(c).map((m) => `\`${m}\``).join(', ')}.

Open the same experiment in LoRA Lab with the link \`#${r.query}\`.

## Files

| file | what |
|---|---|
${files.join('\n')}
| \`base_model.safetensors\` | the frozen base network in PyTorch \`nn.Linear\` layout: \`layers.0.weight\` .. \`layers.${c.layers}.weight\`, \`head.weight\`, each (out, in) |
| \`test_cases.json\` | ${'`lora-interop-cases/1`'}: inputs and the outputs LoRA Lab's GPU forward pass computed, without and with the ${lora ? 'adapter' : 'fine-tuning'} |
| \`load_with_peft.py\` | rebuilds the network in PyTorch, loads the files${lora ? ' (the adapter with `PeftModel.from_pretrained`)' : ''} and checks them against \`test_cases.json\` |
| \`run_config.json\` | the run's configuration (the page's RunConfig) |
| \`train_with_peft.py\` | trains the same run again in PyTorch${lora ? ' + PEFT' : ''} from \`run_config.json\`: the same task, data, init, optimizer and schedule |
| \`toy_task.py\` | the task for \`train_with_peft.py\`: LoRA Lab's seeded generator, base network, hidden change and data, the same numbers as the page |
| \`train_common.py\` | what \`train_with_peft.py\` shares with the language model's script: the page's schedule, optimizers, metrics CSV and final-loss rule |

## Check it with PyTorch${lora ? ' and PEFT' : ''}

\`\`\`sh
pip install torch ${lora ? 'peft ' : ''}safetensors
python load_with_peft.py   # prints the largest differences; exit code 0 when they are within the tolerance
\`\`\`

## Train it again in PyTorch${lora ? ' + PEFT' : ''}

\`\`\`sh
pip install torch peft safetensors numpy
python train_with_peft.py --config run_config.json --out train_out   # flags: --steps --rank --width --batch --device cuda
\`\`\`

It writes \`metrics.csv\` (the page's columns) and ${lora ? '\`adapter/\` (\`save_pretrained\`)' : '\`finetuned_model.safetensors\`'} under \`train_out/\`. The task and data are the page's to the bit; lora_dropout uses PyTorch's own masks.
${
  lora
    ? `
## Use the adapter

\`\`\`python
from peft import PeftModel
from load_with_peft import MLP          # or your own module with the same submodule names
from safetensors.torch import load_file

base = MLP(${JSON.stringify(sizes)}, "${c.activation}", False)
base.load_state_dict(load_file("base_model.safetensors"))
model = PeftModel.from_pretrained(base, "adapter")
merged = model.merge_and_unload()       # plain nn.Linear weights W0 + s B A
\`\`\`

The safetensors metadata also records what PEFT's config cannot: the init scheme (\`lora_lab_init\`), the seed
(\`lora_lab_seed\`), the LoRA Lab version and the full settings (\`lora_lab_config\`). Dropping this zip (or the
adapter folder's two files) onto LoRA Lab imports the adapter again, to evaluate it or train it further.
`
    : ''
}
## Settings

| field | value | meaning |
|---|---|---|
${settings.join('\n')}
`;
}
