/**
 * The language model's target modules as PEFT sees them: module types (target_modules) x layers
 * (layers_to_transform). The grid shows every projection of the model, the trained ones filled; the
 * row and column boxes choose the types and layers (the grid is always a full types x layers product,
 * which is what one PEFT adapter config can say). Two shortcuts: attention q, v (the LoRA paper's
 * default) and every linear layer.
 */
import { LM_LAYERS, type Field, type RunConfig } from '../config/schema';
import { cellOf, cellTypesAndLayers, MODULE_TYPES, type ModuleType } from '../tasks/llamaModel';
import { cellsOf } from '../tasks/lmTargets';

const LAYERS = Array.from({ length: LM_LAYERS }, (_, l) => l);

export function LmTargetGrid({ field, config, describedBy, onChange }: { field: Field; config: RunConfig; describedBy: string; onChange: (raw: unknown) => void }) {
  const { types: ts, layers: ls } = cellTypesAndLayers(config.lmTargets);
  const setTypes = (next: ModuleType[]) => next.length && onChange(cellsOf(next, ls));
  const setLayers = (next: number[]) => next.length && onChange(cellsOf(ts, next));
  const short = (t: ModuleType) => t.replace('_proj', '');
  return (
    <fieldset className="lm-targets" aria-label={field.label} aria-describedby={describedBy} title={field.help} data-testid="lm-targets">
      <table>
        <thead>
          <tr>
            <th />
            {MODULE_TYPES.map((t) => (
              <th key={t} scope="col">
                <label title={`${t} on the chosen layers`}>
                  <input type="checkbox" aria-label={t} checked={ts.includes(t)} onChange={(e) => setTypes(e.target.checked ? MODULE_TYPES.filter((x) => x === t || ts.includes(x)) : ts.filter((x) => x !== t))} />
                  {short(t)}
                </label>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {LAYERS.map((l) => (
            <tr key={l}>
              <th scope="row">
                <label>
                  <input type="checkbox" aria-label={`layer ${l}`} checked={ls.includes(l)} onChange={(e) => setLayers(e.target.checked ? [...ls, l].sort() : ls.filter((x) => x !== l))} />
                  layer {l}
                </label>
              </th>
              {MODULE_TYPES.map((t) => {
                const on = config.lmTargets.includes(cellOf(l, t));
                return <td key={t} className={on ? 'on' : 'off'} title={`model.layers.${l}.${t}: ${on ? 'adapted' : 'frozen'}`} />;
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="shortcuts">
        <button type="button" onClick={() => onChange(cellsOf(['q_proj', 'v_proj'], LAYERS))}>
          q, v only
        </button>
        <button type="button" onClick={() => onChange(cellsOf(MODULE_TYPES, LAYERS))}>
          all linear
        </button>
      </div>
    </fieldset>
  );
}
