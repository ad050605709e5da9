/**
 * The Sweeps section of the page: controls and kept sweeps, then the viewed sweep's results: the preset's
 * finding next to what this run shows, the muA chart, optimal lr vs rank and (once finished) that lr carried
 * to another rank, loss curves of picked runs, the heatmap over two axes, and the table of every run. A
 * Another sweep of the same task (an imported results.csv of the PyTorch grid, say) can be drawn beside
 * it on the muA and optimal-lr charts. A language-model sweep adds the learned vs forgotten scatter (first, when its preset is about that) and
 * shows its losses in bits per byte. Last, the spectra of each rank's best update and the rank utilisation
 * (from the runs' final inspections).
 */
import { useMemo, useState } from 'react';
import { lossView } from '../../metrics/bits';
import { useLab } from '../../store/store';
import { analyzeSweep, type Panel } from '../../sweep/analysis';
import { sweptAxes, type HeatAxis } from '../../sweep/heatmap';
import { presetById } from '../../sweep/presets';
import { presetReport } from '../../sweep/presetReports';
import type { SweepRecord } from '../../sweep/types';
import { fileStem } from './chartExport';
import { CurvesChart } from './CurvesChart';
import { ForgettingChart } from './ForgettingChart';
import { Heatmap } from './Heatmap';
import { SweepSpectra } from '../inspect/SweepSpectra';
import { LrTransferPanel } from './LrTransferPanel';
import { MuaChart } from './MuaChart';
import { OptLrChart } from './OptLrChart';
import { RunCard } from './runText';
import { RunsTable } from './RunsTable';
import { SweepControls } from './SweepControls';
import { SweepExport } from './SweepExport';
import { SweepList } from './SweepList';
import { Paced } from '../Paced';
import './sweep.css';

function PresetNote({ sweep, lines }: { sweep: SweepRecord; lines: string[] }) {
  const p = sweep.presetId ? presetById(sweep.presetId) : undefined;
  if (!p) return null;
  return (
    <section className="panel preset-note" aria-label="Finding" data-testid="preset-note">
      <div>
        <h3>What the source found</h3>
        <p>{p.found}</p>
        <p className="muted">{p.source}</p>
      </div>
      <div>
        <h3>What this run shows</h3>
        {lines.map((l) => (
          <p key={l}>{l}</p>
        ))}
      </div>
    </section>
  );
}

/** Panels renamed after their sweep, so two sweeps' curves share a chart (each sweep its own dash). */
function labelled(panels: readonly Panel[], sweepName: string, tag: string): Panel[] {
  return panels.map((p) => ({ ...p, key: `${tag}|${p.key}`, label: p.label ? `${p.label} · ${sweepName}` : sweepName }));
}

function Results({ sweep }: { sweep: SweepRecord }) {
  const selected = useLab((s) => s.selectedRuns);
  const toggle = useLab((s) => s.toggleSelectedRun);
  const [hovered, setHovered] = useState<string | null>(null);
  const panels = useMemo(() => analyzeSweep(sweep), [sweep]);
  const preset = sweep.presetId ? presetById(sweep.presetId) : undefined;
  const [panelKey, setPanelKey] = useState<string>(preset?.view.overlay ? 'all' : '');
  const own = useMemo(() => (panelKey === 'all' ? panels : [panels.find((p) => p.key === panelKey) ?? panels[0]].filter(Boolean)), [panels, panelKey]);
  // Another sweep of the same task drawn beside this one (e.g. the PyTorch grid's results.csv, imported).
  const sweeps = useLab((s) => s.sweeps);
  const [compareId, setCompareId] = useState('');
  const others = sweeps.filter((s) => s.id !== sweep.id && s.base.task === sweep.base.task);
  const compared = others.find((s) => s.id === compareId);
  const shown = useMemo(() => (compared ? [...labelled(own, 'this sweep', 'own'), ...labelled(analyzeSweep(compared), compared.name, 'compared')] : own), [own, compared]);
  const axes = useMemo(() => sweptAxes(sweep.runs), [sweep.runs]);
  const [heat, setHeat] = useState<[HeatAxis, HeatAxis] | null>(preset?.view.heatmap ?? null);
  const hx = heat?.[0] ?? (axes.includes('alpha') ? 'alpha' : (axes.find((a) => a !== 'rank') ?? 'log2lr'));
  const hy = heat?.[1] ?? (axes.includes('rank') && hx !== 'rank' ? 'rank' : (axes.find((a) => a !== hx) ?? 'rank'));
  const lines = useMemo(() => (preset ? presetReport(preset, sweep, panels) : []), [preset, sweep, panels]);
  const file = fileStem(sweep.name);
  // Carrying the learning rate needs the sweep's last word (a finished or imported sweep) over two ranks at least.
  const transferable = (sweep.state === 'done' || sweep.state === 'imported') && own.some((p) => p.curves.filter((c) => !c.fft).length >= 2);
  // Train vs eval is the point of some presets: their curves show until runs are picked by hand.
  const picked = selected.length === 0 && preset?.view.curves ? sweep.runs.filter((r) => r.points.length > 0) : sweep.runs.filter((r) => selected.includes(r.runId));
  const hoveredRun = sweep.runs.find((r) => r.runId === hovered);
  const view = lossView(sweep.base.task);
  const forgetting = sweep.base.task === 'lm' && (
    <Paced name="forgetting">
      <ForgettingChart runs={sweep.runs} file={file} selected={selected} onPick={toggle} onHover={setHovered} />
    </Paced>
  );
  return (
    <div className="sweep-results" data-sweep-id={sweep.id}>
      <PresetNote sweep={sweep} lines={lines} />
      {panels.length > 1 && (
        <label className="panel-pick">
          Curves:{' '}
          <select value={panelKey || panels[0].key} onChange={(e) => setPanelKey(e.target.value)} aria-label="Which curves">
            {panels.map((p) => (
              <option key={p.key} value={p.key}>
                {p.label}
              </option>
            ))}
            <option value="all">all on one chart</option>
          </select>
        </label>
      )}
      {others.length > 0 && (
        <label className="panel-pick">
          Compare with:{' '}
          <select value={compared?.id ?? ''} onChange={(e) => setCompareId(e.target.value)} aria-label="Compare with another sweep">
            <option value="">nothing</option>
            {others.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <RunCard run={hoveredRun} />
      <div className="sweep-charts">
        {preset?.view.forgetting && forgetting}
        {/* one chart per main-thread task while the sweep trains (Paced.tsx) */}
        <Paced name="muA chart">
          <MuaChart panels={shown} view={view} file={file} selected={selected} onPick={toggle} onHover={setHovered} />
        </Paced>
        <Paced name="optimal lr">
          <OptLrChart panels={shown} file={file} />
        </Paced>
        {transferable && <LrTransferPanel panels={own} runs={sweep.runs} name={sweep.name} />}
        <Paced name="sweep curves">
          <CurvesChart runs={picked} view={view} file={file} onRemove={toggle} />
        </Paced>
        {axes.length >= 2 || (axes.length === 1 && axes[0] !== hx) ? (
          <Paced name="heatmap">
            <Heatmap runs={sweep.runs} view={view} axes={axes} x={hx} y={hy} onAxes={(x, y) => setHeat([x, y])} onHover={setHovered} onPick={toggle} file={file} />
          </Paced>
        ) : null}
        {!preset?.view.forgetting && forgetting}
        <Paced name="sweep spectra">
          <SweepSpectra sweep={sweep} />
        </Paced>
      </div>
      {/* not paced: its checkboxes answer a click at once */}
      <RunsTable runs={sweep.runs} task={sweep.base.task} selected={selected} onToggle={toggle} onHover={setHovered} />
      <SweepExport sweep={sweep} selected={selected} />
    </div>
  );
}

export function SweepSection() {
  const sweep = useLab((s) => s.sweeps.find((x) => x.id === s.viewedSweepId));
  return (
    <section className="sweeps" aria-labelledby="sweeps-title">
      <h2 id="sweeps-title" className="section-title">
        Sweeps <small>rank x learning-rate grids, the muA chart, and one-click reproductions of published findings</small>
      </h2>
      <div className="sweep-top">
        <SweepControls />
        <SweepList />
      </div>
      {sweep && <Results key={sweep.id} sweep={sweep} />}
    </section>
  );
}
