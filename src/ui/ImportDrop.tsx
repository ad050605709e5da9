/**
 * Import a PEFT LoRA adapter: drop a zip (a LoRA Lab export, or a zipped adapter folder) or the folder's
 * two files anywhere on the page, or pick them with the file button (keyboard users). A rejected file
 * leaves the page as it was and says why in the notices; an accepted one can be evaluated or trained further.
 */
import { useEffect, useState } from 'react';
import { useLab } from '../store/store';
import { short } from '../format';
import type { NamedFile } from '../export/importAdapter';

function readFiles(list: Iterable<File>): Promise<NamedFile[]> {
  return Promise.all([...list].map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
}

const take = async (files: Iterable<File>) => void useLab.getState().importFiles(await readFiles(files));

export function ImportDrop() {
  const adapter = useLab((s) => s.imported);
  const evaluation = useLab((s) => s.importEvaluation);
  const [dragging, setDragging] = useState(false);
  const gpuReady = useLab((s) => s.gpu.state === 'ready');
  const { evaluateImport, trainImported } = useLab.getState();

  // Files dropped anywhere on the page: without this the browser would open the file and leave the page.
  useEffect(() => {
    const over = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (e.relatedTarget === null) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!e.dataTransfer?.files.length) return;
      e.preventDefault();
      setDragging(false);
      void take(e.dataTransfer.files);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, []);

  return (
    <section className="panel import-panel" aria-label="Import an adapter" data-testid="import-panel" style={dragging ? { outline: '2px dashed var(--accent)' } : undefined}>
      <h2>
        Import an adapter <small>drop a zip or adapter_config.json + adapter_model.safetensors anywhere on the page</small>
      </h2>
      <label>
        Import adapter files{' '}
        <input
          type="file"
          multiple
          accept=".zip,.json,.safetensors"
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = ''; // picking the same file again must fire onChange again
            if (files.length) void take(files);
          }}
        />
      </label>
      {adapter && (
        <div className="imported" data-testid="imported-adapter">
          <p>
            <strong>{adapter.source}</strong>: r = {adapter.config.r}, lora_alpha = {adapter.config.lora_alpha}, {adapter.config.scaling === 'rslora' ? 'rsLoRA' : 'standard'} scaling, on{' '}
            {adapter.config.targets.map((i) => `layers.${i}`).join(', ')}.
          </p>
          <div className="buttons">
            <button type="button" onClick={() => void evaluateImport()} disabled={!gpuReady || evaluation === 'running'} title="Eval loss on the task's held-out set, with and without the adapter (no training)">
              Evaluate on the task
            </button>
            <button type="button" onClick={() => trainImported()} disabled={!gpuReady} title="A new run that starts from the adapter's factors, with the current steps and learning rate">
              Train further
            </button>
          </div>
          {evaluation === 'running' && <p>Evaluating…</p>}
          {evaluation && evaluation !== 'running' && (
            <p data-testid="import-evaluation" data-base={evaluation.baseLoss} data-adapter={evaluation.adapterLoss}>
              {evaluation.adapterLosses && evaluation.baseLosses ? (
                <>
                  Held-out fine-tuning text ({evaluation.rows} bytes): base model {short(evaluation.baseLoss / Math.LN2)}, with the adapter {short(evaluation.adapterLoss / Math.LN2)} bits per byte; held-out pretraining text: base{' '}
                  {short(evaluation.baseLosses[1] / Math.LN2)}, with the adapter {short(evaluation.adapterLosses[1] / Math.LN2)}.
                </>
              ) : (
                <>
                  Eval loss on {evaluation.rows} held-out examples: base model {short(evaluation.baseLoss)}, with the adapter {short(evaluation.adapterLoss)}.
                </>
              )}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
