/**
 * The learning rate carried to another rank (sweep/lrTransfer.ts), per shown panel of a finished sweep:
 * a rank to predict for, the predicted optimum (rule-anchored and measured fit), the slopes side by side,
 * the leave-one-rank-out check, FFT's optimum against the rule's, and the words when the rule fails here.
 * "Use this learning rate" puts the prediction into the page's config through the store's setConfig, so
 * the next run trains with it and that run's export (exports are of runs, with their own config) carries it.
 * "PyTorch script at this rank and learning rate" downloads the predicted run as train_with_peft.py plus its
 * run_config.json (export/transferScript.ts), without training it on the page.
 */
import { useId, useMemo, useState } from 'react';
import { fieldOf } from '../../config/schema';
import { pow2, short } from '../../format';
import { useLab } from '../../store/store';
import type { Panel } from '../../sweep/analysis';
import { chosenLr, lrTransfer, type LrTransfer } from '../../sweep/lrTransfer';
import { formatFraction } from '../../sweep/theory';
import type { SweepRunRecord } from '../../sweep/types';
import { transferConfig, transferScriptBlocker, transferScriptZip } from '../../export/transferScript';
import { LAB_VERSION } from '../../store/exportSlice';
import { download } from '../download';
import { fileStem } from './chartExport';

const lrText = (log2lr: number | null) => (log2lr === null ? '—' : `${pow2(log2lr)} = ${short(2 ** log2lr)}`);
const octaves = (e: number) => `${e > 0 ? '+' : ''}${e.toFixed(2)}`;

/** A default rank to ask about: twice the largest swept one (a rank the sweep did not run). */
function defaultRank(panels: readonly Panel[]): number {
  const ranks = panels.flatMap((p) => p.curves.filter((c) => !c.fft).map((c) => c.rank!));
  return ranks.length ? 2 * Math.max(...ranks) : 8;
}

function UseButton({ t, panel, runs, name }: { t: LrTransfer; panel: Panel; runs: readonly SweepRunRecord[]; name: string }) {
  const config = useLab((s) => s.config);
  const setConfig = useLab((s) => s.setConfig);
  const pick = chosenLr(t);
  if (!pick) return null;
  const lr = 2 ** pick.log2lr;
  const field = fieldOf('lr')!;
  const out = lr < field.min! || lr > field.max! ? `${pow2(pick.log2lr)} is outside the page's range (${pow2(Math.log2(field.min!))} to ${pow2(Math.log2(field.max!))})` : null;
  const inUse = Math.abs(Math.log2(config.lr) - pick.log2lr) < 1e-9;
  return (
    <div className="lr-transfer-use">
      <button type="button" disabled={out !== null} onClick={() => setConfig({ ...config, lr })}>
        Use this learning rate
      </button>{' '}
      <ScriptButton t={t} log2lr={pick.log2lr} from={pick.from} panel={panel} runs={runs} name={name} />{' '}
      <span className="muted">
        {out ??
          `Sets the page's learning rate to ${lrText(pick.log2lr)} (${pick.from === 'rule' ? 'rule-anchored' : 'measured fit'}); the next run trains with it and that run's exported script carries it (a run in progress takes it from its next step, as the lr field is live).${inUse ? ' It is the page\'s learning rate now.' : ''}${config.r !== t.rank ? ` The page's rank is r=${config.r}; this is for r=${t.rank}.` : ''}`}
      </span>
    </div>
  );
}

/** The predicted run as a PyTorch script (run_config.json at the asked rank and the predicted lr), in one click. */
function ScriptButton({ t, log2lr, from, panel, runs, name }: { t: LrTransfer; log2lr: number; from: 'rule' | 'fit'; panel: Panel; runs: readonly SweepRunRecord[]; name: string }) {
  const cfg = transferConfig(panel, runs, t.rank, log2lr);
  const blocker = transferScriptBlocker(cfg);
  const why = `The learning rate was predicted for r=${t.rank} from the sweep "${name}"${panel.label ? ` (${panel.label})` : ''} by the ${from === 'rule' ? 'muA rule anchored on the measured optima' : 'measured fit'}; leave-one-rank-out error ${t.looMae === null ? 'not measured' : `${t.looMae.toFixed(2)} octaves`}.`;
  return (
    <button
      type="button"
      disabled={blocker !== null}
      title={blocker ?? `Zip: train_with_peft.py with run_config.json at r=${t.rank}, lr ${lrText(log2lr)}`}
      onClick={() => cfg && download({ name: `${fileStem(name)}_r${t.rank}_pytorch.zip`, bytes: transferScriptZip(cfg, why, LAB_VERSION), type: 'application/zip' })}
    >
      PyTorch script at this rank and learning rate
    </button>
  );
}

function PanelTransfer({ panel, t, many, runs, name }: { panel: Panel; t: LrTransfer; many: boolean; runs: readonly SweepRunRecord[]; name: string }) {
  return (
    <div className="lr-transfer-panel">
      {many && <h3>{panel.label}</h3>}
      <table className="fits">
        <caption className="muted">Slope of log2(optimal lr) against log2(r)</caption>
        <thead>
          <tr>
            <th scope="col">measured</th>
            <th scope="col">muA predicts</th>
            <th scope="col">rule</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>{t.measuredSlope === null ? 'not enough reliable optima' : `${t.measuredSlope.toFixed(2)} (${t.optima.length} ranks)`}</td>
            <td>{t.ruleSlope === null ? '—' : formatFraction(t.ruleSlope)}</td>
            <td className="muted">{t.rule}</td>
          </tr>
        </tbody>
      </table>
      {t.reason ? (
        <p className="muted">No prediction: {t.reason}.</p>
      ) : (
        <dl className="lr-transfer-prediction">
          <dt>Rule-anchored (muA slope, fitted intercept)</dt>
          <dd data-field="from-rule">{t.ruleSlope === null ? 'no rule for this case' : lrText(t.fromRule)}</dd>
          <dt>Measured fit</dt>
          <dd data-field="from-fit">{lrText(t.fromFit)}</dd>
        </dl>
      )}
      {t.fft && (
        <p>
          Full fine-tuning: optimum {lrText(t.fft.measured)}
          {t.fft.measured !== null && !t.fft.reliable ? ' (unreliable)' : ''}; the rule predicts {t.fft.predicted === null ? 'nothing for it in this case' : lrText(t.fft.predicted)}.
        </p>
      )}
      {t.warning && (
        <p className="lr-transfer-warning" role="note">
          {t.warning}
        </p>
      )}
      {t.loo.length > 0 && (
        <table className="fits">
          <caption className="muted">
            Leave one rank out: each rank's optimum predicted from the others ({t.looBasis === 'rule' ? "the rule's slope" : 'the measured fit'}); mean absolute error {t.looMae!.toFixed(2)} octaves
          </caption>
          <thead>
            <tr>
              <th scope="col">rank</th>
              <th scope="col">measured optimum</th>
              <th scope="col">predicted</th>
              <th scope="col">error (octaves)</th>
            </tr>
          </thead>
          <tbody>
            {t.loo.map((r) => (
              <tr key={r.rank}>
                <th scope="row">{r.rank}</th>
                <td>{lrText(r.measured)}</td>
                <td>{lrText(r.predicted)}</td>
                <td>{octaves(r.error)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <UseButton t={t} panel={panel} runs={runs} name={name} />
    </div>
  );
}

export function LrTransferPanel({ panels, runs, name }: { panels: Panel[]; runs: readonly SweepRunRecord[]; name: string }) {
  const id = useId();
  const [text, setText] = useState(() => String(defaultRank(panels)));
  const rank = Number(text);
  const transfers = useMemo(() => panels.map((p) => lrTransfer(p, rank)), [panels, rank]);
  const json = JSON.stringify(
    transfers.map((t, i) => ({ label: panels[i].label, rank: t.rank, fromRule: t.fromRule, fromFit: t.fromFit, reason: t.reason, measuredSlope: t.measuredSlope, ruleSlope: t.ruleSlope, looMae: t.looMae, loo: t.loo, fft: t.fft, warning: t.warning })),
  );
  return (
    <section className="panel lr-transfer" aria-labelledby={`${id}-title`} data-testid="lr-transfer" data-prediction={json}>
      <div className="chart-head">
        <h2 id={`${id}-title`}>Carry the learning rate to another rank</h2>
      </div>
      <p className="muted">The optimal learning rate at a rank this sweep did not run, from its reliable optima: with the muA rule's slope (its intercept fitted), and with the measured slope.</p>
      <label htmlFor={`${id}-rank`}>
        Rank r{' '}
        <input id={`${id}-rank`} type="number" min={1} step={1} value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      {panels.map((p, i) => (
        <PanelTransfer key={p.key} panel={p} t={transfers[i]} many={panels.length > 1} runs={runs} name={name} />
      ))}
    </section>
  );
}
