/**
 * Views 1-4 of one module of the selected run: its update's spectrum at the latest point, subspace
 * agreement with the true change, effective rank, and the factors' dynamics over training. Each takes the
 * run's inspection points and the module; the data is built by the pure modules beside them.
 */
import { useMemo } from 'react';
import { BASE_DIRECTIONS, type InspectPoint, type ModuleInspect } from '../../engine/inspect';
import { fmt } from '../../format';
import { InspectLineChart } from './InspectLineChart';
import { moduleAt, spectrumData } from './spectrumData';
import { agreementData, dynamicsData, effRankData, latestAgreement } from './trainingSeries';

interface ViewProps {
  points: readonly InspectPoint[];
  module: string;
  file: string;
  /** The toy task knows its true change; the language model has none. */
  toy: boolean;
}

const NO_POINTS = 'No inspection yet: it appears at the run’s first logged step.';

export function SpectrumChart({ points, module, file, toy, reference }: ViewProps & { reference?: { label: string; m: ModuleInspect } }) {
  const last = points[points.length - 1];
  const m = moduleAt(last, module);
  const data = useMemo(() => spectrumData(m, reference), [m, reference]);
  return (
    <InspectLineChart
      title={`Singular values of ΔW${last ? ` (step ${last.step})` : ''}`}
      file={`${file}-spectrum`}
      testId="inspect-spectrum"
      data={data}
      xLabel="index i"
      yLabel="singular value σᵢ"
      discrete
      empty={points.length ? `No update of ${module} in this run.` : NO_POINTS}
      note={`${
        toy
          ? 'The learned update against the true change, log scale. An adapter of enough rank lands r* values on the truth and leaves the rest near zero (values five decades down sit on the floor); a smaller rank shows what it cannot reach.'
          : 'The update’s singular values, log scale (no true change on the language model).'
      }${m?.outsideBase !== undefined ? ` ${fmt(100 * m.outsideBase)}% of ‖ΔW‖² lies outside the base weight’s top ${BASE_DIRECTIONS} directions (0%: it re-weights what the base does; near 100%: new directions).` : ''}`}
    />
  );
}

export function AgreementChart({ points, module, file, toy }: ViewProps) {
  const data = useMemo(() => agreementData(points, module), [points, module]);
  const latest = useMemo(() => latestAgreement(points), [points]);
  return (
    <InspectLineChart
      title="Subspace agreement with the true change"
      file={`${file}-agreement`}
      testId="inspect-agreement"
      data={data}
      xLabel="step"
      yLabel="cos(principal angle)"
      empty={!toy ? 'The language model has no true change to agree with.' : points.length ? `No agreement measured for ${module}.` : NO_POINTS}
      note={
        <>
          Cosines of the principal angles between the update’s top singular directions and the true change’s (1 = the same subspace).
          {latest.size > 0 && <> Latest mean per layer: {[...latest].map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}.</>}
        </>
      }
    />
  );
}

export function EffRankChart({ points, module, file, trueRank }: ViewProps & { trueRank?: number }) {
  const data = useMemo(() => effRankData(points, module, trueRank), [points, module, trueRank]);
  return (
    <InspectLineChart
      title="Effective rank of ΔW"
      file={`${file}-effective-rank`}
      testId="inspect-effrank"
      data={data}
      xLabel="step"
      yLabel="effective rank"
      empty={points.length ? `No update of ${module} in this run.` : NO_POINTS}
      note="exp(entropy of the normalised singular values): how many directions the update really uses, against the adapter’s rank r (dashed) and the true rank r* (dotted)."
    />
  );
}

export function DynamicsChart({ points, module, file }: ViewProps) {
  const data = useMemo(() => dynamicsData(points, module), [points, module]);
  return (
    <InspectLineChart
      title="Dynamics of A, B and ΔW"
      file={`${file}-dynamics`}
      testId="inspect-dynamics"
      data={data}
      xLabel="step"
      yLabel="Frobenius norm"
      empty={points.length ? `No update of ${module} in this run.` : NO_POINTS}
      note="Norms over training, log scale; dashed: how far A and B moved since the previous inspection. With Init[A], B starts at zero and grows while A barely moves; LoRA+ (a larger learning rate for B) speeds B up."
    />
  );
}
